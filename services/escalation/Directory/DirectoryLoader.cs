using Disputes.Escalation.Application;
using Disputes.Escalation.Storage;
using Grpc.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using YamlDotNet.Core;

namespace Disputes.Escalation.Directory;

/// <summary>
/// At start: the built-in default timescale policy as version 1 of "default", and the directory
/// file named by <c>Escalation:DirectoryFile</c>. Only missing entries are created, so loading
/// twice (or on every replica) changes nothing, and changes made through the API are kept.
/// </summary>
public sealed partial class DirectoryLoader(
    DirectoryCommands commands,
    PolicyStore policies,
    IOptions<EscalationOptions> options,
    TimeProvider time,
    ILogger<DirectoryLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await policies.EnsureDefaultAsync();
                if (options.Value.DirectoryFile.Length > 0)
                    await LoadAsync(await File.ReadAllTextAsync(options.Value.DirectoryFile, stoppingToken));
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis not reachable yet: the service starts anyway and loads when it is.
                LogLoadFailed(ex, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 30)), time, stoppingToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or YamlException)
            {
                // A file that cannot be read is the operator's to fix; the service runs with the directory it has.
                LogFileUnreadable(ex, options.Value.DirectoryFile);
                return;
            }
        }
    }

    /// <summary>Creates what the file holds and the directory lacks; returns how many entries were created.</summary>
    public async Task<int> LoadAsync(string yaml)
    {
        var file = DirectoryFile.Parse(yaml);
        var created = 0;
        foreach (var agency in file.Agencies)
        {
            try
            {
                if ((await commands.CreateAgencyAsync(agency.Id, DirectoryFile.AgencyOf(agency))).Created)
                    created++;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
            {
                LogEntryRejected(agency.Id, ex.Status.Detail);
            }
        }
        // Line managers first: repeat while a pass creates someone whose manager is now there.
        var pending = file.Agencies.SelectMany(a => a.Professionals.Select(p => (Agency: a.Id, Professional: p))).ToList();
        while (pending.Count > 0)
        {
            var waiting = new List<(string Agency, DirectoryFile.ProfessionalEntry Professional)>();
            RpcException? last = null;
            foreach (var (agencyId, entry) in pending)
            {
                try
                {
                    if ((await commands.CreateProfessionalAsync(agencyId, entry.Id, DirectoryFile.ProfessionalOf(agencyId, entry))).Created)
                        created++;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
                {
                    waiting.Add((agencyId, entry));
                    last = ex;
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound)
                {
                    // One bad entry is reported and skipped; the rest of the file is loaded.
                    LogEntryRejected($"{agencyId}/{entry.Id}", ex.Status.Detail);
                }
            }
            if (waiting.Count == pending.Count)
            {
                foreach (var (agencyId, entry) in waiting)
                    LogEntryRejected($"{agencyId}/{entry.Id}", last?.Status.Detail ?? "its line manager is not in the directory");
                break;
            }
            pending = waiting;
        }
        LogLoaded(options.Value.DirectoryFile, created);
        return created;
    }

    [LoggerMessage(LogLevel.Information, "Directory file {File} loaded: {Created} entries created")]
    private partial void LogLoaded(string file, int created);

    [LoggerMessage(LogLevel.Error, "Directory entry {Entry} of the directory file was not loaded: {Reason}")]
    private partial void LogEntryRejected(string entry, string reason);

    [LoggerMessage(LogLevel.Error, "The directory file {File} cannot be read; nothing was loaded from it")]
    private partial void LogFileUnreadable(Exception exception, string file);

    [LoggerMessage(LogLevel.Warning, "Loading the directory failed (attempt {Attempt}); retrying")]
    private partial void LogLoadFailed(Exception exception, int attempt);
}
