using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Disputes.ServiceDefaults.Identity;
using Grpc.Core;

namespace Disputes.Gateway.Extensions;

/// <summary>
/// A token bucket per client address that runs before authentication, so a flood with no
/// token or a bad one is limited too. The address is the connection's, or the one the
/// configured ingress proxies put in X-Forwarded-For (see <see cref="GatewayExtensions.AddTrustedForwardedHeaders"/>).
/// </summary>
public sealed class ClientAddressRateLimiter(RequestDelegate next, PartitionedRateLimiter<HttpContext> limiter)
{
    public async Task InvokeAsync(HttpContext context)
    {
        using (var lease = limiter.AttemptAcquire(context))
        {
            if (!lease.IsAcquired)
            {
                await RefusalResponses.WriteAsync(context, StatusCode.ResourceExhausted, StatusCodes.Status429TooManyRequests,
                    "Too many calls from this address; retry with backoff.");
                return;
            }
        }
        await next(context);
    }

    public static PartitionedRateLimiter<HttpContext> Create(RateLimitOptions limits) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context => RateLimitPartition.GetTokenBucketLimiter(
            BucketOf(context.Connection.RemoteIpAddress), _ => limits.ToTokenBucket()));

    /// <summary>
    /// An IPv4 address, or the /64 an IPv6 address is in: one host is given a whole /64, so
    /// counting its addresses one by one would hand it millions of buckets.
    /// </summary>
    public static string BucketOf(IPAddress? address)
    {
        if (address is null)
            return "unknown";
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
