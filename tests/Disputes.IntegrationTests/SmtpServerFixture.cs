using System.Diagnostics;
using System.Net.Sockets;
using MimeKit;

namespace Disputes.IntegrationTests;

/// <summary>
/// A real SMTP server on a free loopback port: Debian's python3-aiosmtpd, storing what it
/// receives in a maildir that the tests read. Installed by .ci/run and scripts/lib.sh.
/// </summary>
public sealed class SmtpServerFixture : IAsyncLifetime
{
    private readonly string _maildir = Path.Combine(Path.GetTempPath(), $"disputes-smtp-{Guid.NewGuid():N}");
    private Process? _process;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        Port = RedisServerFixture.FreePort();
        // Debian's interpreter, where python3-aiosmtpd is installed, whatever python3 comes first on PATH.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{Port}", "-c", "aiosmtpd.handlers.Mailbox", _maildir })
            start.ArgumentList.Add(argument);
        _process = Process.Start(start) ?? throw new InvalidOperationException("python3 -m aiosmtpd did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException("aiosmtpd exited; install it with apt-get install python3-aiosmtpd (scripts/lib.sh does).");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Every message received so far.</summary>
    public IReadOnlyList<MimeMessage> Messages()
    {
        var folder = Path.Combine(_maildir, "new");
        return Directory.Exists(folder)
            ? Directory.GetFiles(folder).Select(f => MimeMessage.Load(f)).ToArray()
            : [];
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process?.Dispose();
        if (Directory.Exists(_maildir))
            Directory.Delete(_maildir, recursive: true);
        return Task.CompletedTask;
    }
}
