using System.Net;
using System.Net.Sockets;

namespace Disputes.EndToEndTests;

/// <summary>Where the repository is, for the fixtures that start its processes and tools.</summary>
public static class Repository
{
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Disputes.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException("The repository root (with Disputes.slnx) is not above the test output.");
    }
}

/// <summary>Loopback ports nothing listens on, never the same one twice from one instance.</summary>
public sealed class LoopbackPorts
{
    private readonly HashSet<int> _taken = [];

    public int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (_taken.Add(port))
                return port;
        }
    }
}
