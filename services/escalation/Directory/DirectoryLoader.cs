using Disputes.Escalation.Application;
using Disputes.Escalation.Storage;
using Grpc.Core;
using Microsoft.Extensions.Options;

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
            catch (Exception ex) when (ex is not OperationCanceledException && ex is not FileNotFoundException)
            {
                LogLoadFailed(ex, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 30)), time, stoppingToken);
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
            if ((await commands.CreateAgencyAsync(agency.Id, DirectoryFile.AgencyOf(agency))).Created)
                created++;
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
            }
            if (waiting.Count == pending.Count)
                throw new InvalidOperationException($"The directory file names line managers that are not in it: {last?.Status.Detail}");
            pending = waiting;
        }
        LogLoaded(options.Value.DirectoryFile, created);
        return created;
    }

    [LoggerMessage(LogLevel.Information, "Directory file {File} loaded: {Created} entries created")]
    private partial void LogLoaded(string file, int created);

    [LoggerMessage(LogLevel.Warning, "Loading the directory failed (attempt {Attempt}); retrying")]
    private partial void LogLoadFailed(Exception exception, int attempt);
}
