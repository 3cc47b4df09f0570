using System.Net;
using System.Net.Sockets;
using Disputes.Notification.Domain;

namespace Disputes.Notification.Channels;

/// <summary>
/// The webhook client's connections: resolve, refuse any address the policy refuses, connect
/// to an allowed one, and check the address actually connected to (SSRF, DNS rebinding).
/// No redirects: a receiver cannot send the suite elsewhere.
/// </summary>
public static class WebhookConnections
{
    public static SocketsHttpHandler CreateHandler(bool allowLoopback) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowLoopback, cancellationToken),
    };

    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowLoopback, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var refused = addresses.Where(a => !WebhookAddressPolicy.IsAllowed(a, allowLoopback)).ToArray();
        // A name that resolves to any refused address is refused whole: a public answer beside an inner one is a rebinding trick.
        if (addresses.Length == 0 || refused.Length > 0)
            throw new PermanentDeliveryException($"{endpoint.Host} resolves to an address webhooks may not reach.");

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                if (socket.RemoteEndPoint is not IPEndPoint connected || !WebhookAddressPolicy.IsAllowed(connected.Address, allowLoopback))
                    throw new PermanentDeliveryException($"{endpoint.Host} connected to an address webhooks may not reach.");
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}
