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
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => limits.ToTokenBucket()));
}
