using System.Threading.RateLimiting;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Grpc.Core;
using Microsoft.AspNetCore.RateLimiting;

namespace Disputes.Gateway.Extensions;

public static class GatewayExtensions
{
    /// <summary>The rate limiter policy named by every route in the ReverseProxy section.</summary>
    public const string PerCallerPolicy = "per-caller";

    /// <summary>Routes and clusters come from the ReverseProxy configuration section.</summary>
    public static WebApplicationBuilder AddDisputesReverseProxy(this WebApplicationBuilder builder)
    {
        builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        return builder;
    }

    /// <summary>A token bucket per professional (per address before authentication), refused with RESOURCE_EXHAUSTED.</summary>
    public static WebApplicationBuilder AddPerCallerRateLimits(this WebApplicationBuilder builder)
    {
        var limits = builder.Configuration.GetSection("Gateway:RateLimit").Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(PerCallerPolicy, context => RateLimitPartition.GetTokenBucketLimiter(
                context.User.FindFirst(DisputeClaims.Subject)?.Value is { } subject
                    ? $"{context.User.FindFirst(DisputeClaims.Agency)?.Value}/{subject}"
                    : context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.TokenLimit,
                    TokensPerPeriod = limits.TokensPerPeriod,
                    ReplenishmentPeriod = limits.ReplenishmentPeriod,
                    QueueLimit = limits.QueueLimit,
                    AutoReplenishment = true,
                }));
            options.OnRejected = (context, _) => GrpcHttpResponses.IsGrpc(context.HttpContext.Request)
                ? new ValueTask(GrpcHttpResponses.WriteStatusAsync(context.HttpContext.Response, StatusCode.ResourceExhausted,
                    "Too many calls from this caller; retry with backoff."))
                : ValueTask.CompletedTask;
        });
        return builder;
    }

    private sealed class RateLimitOptions
    {
        public int TokenLimit { get; set; } = 200;
        public int TokensPerPeriod { get; set; } = 100;
        public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);
        public int QueueLimit { get; set; }
    }
}
