using System.Net;
using System.Threading.RateLimiting;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Grpc.Core;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Disputes.Gateway.Extensions;

public static class GatewayExtensions
{
    /// <summary>The rate limiter policy named by every route in the ReverseProxy section.</summary>
    public const string PerCallerPolicy = "per-caller";

    /// <summary>
    /// Routes and clusters come from the ReverseProxy configuration section; every route is guarded.
    /// Each destination's host name is resolved to all its addresses (in Kubernetes a headless
    /// Service: one address per ready pod) and re-resolved every Gateway:DnsDestinations:RefreshPeriod,
    /// so calls are balanced over the pods rather than held on one HTTP/2 connection to one of them.
    /// </summary>
    public static WebApplicationBuilder AddDisputesReverseProxy(this WebApplicationBuilder builder)
    {
        builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<EveryRouteIsGuarded>()
            .AddDnsDestinationResolver(options => options.RefreshPeriod = TimeSpan.FromSeconds(15));
        builder.Services.Configure<DnsDestinationResolverOptions>(builder.Configuration.GetSection("Gateway:DnsDestinations"));
        builder.LimitRequestBodies();
        return builder;
    }

    /// <summary>
    /// X-Forwarded-For is believed only from the ingress proxies named in
    /// Gateway:ForwardedHeaders (KnownProxies: addresses, KnownNetworks: CIDR ranges); from
    /// anyone else it is ignored, so a caller cannot pick its own rate-limit bucket.
    /// </summary>
    public static WebApplicationBuilder AddTrustedForwardedHeaders(this WebApplicationBuilder builder)
    {
        var trusted = builder.Configuration.GetSection("Gateway:ForwardedHeaders").Get<TrustedProxies>() ?? new TrustedProxies();
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            // With no proxy listed the middleware would believe everyone, so then it reads no header at all.
            options.ForwardedHeaders = trusted.KnownProxies.Length + trusted.KnownNetworks.Length > 0
                ? ForwardedHeaders.XForwardedFor
                : ForwardedHeaders.None;
            // The framework trusts loopback by default; only configuration says who the ingress is.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.KnownProxies)
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in trusted.KnownNetworks)
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        return builder;
    }

    /// <summary>
    /// Two limits: per client address before authentication (Gateway:AddressRateLimit), and a
    /// token bucket per professional after it (Gateway:RateLimit), both refused with
    /// RESOURCE_EXHAUSTED (429 over REST).
    /// </summary>
    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        var perAddress = builder.Configuration.GetSection("Gateway:AddressRateLimit").Get<RateLimitOptions>()
            ?? new RateLimitOptions { TokenLimit = 2000, TokensPerPeriod = 1000 };
        builder.Services.AddSingleton(ClientAddressRateLimiter.Create(perAddress));

        var perCaller = builder.Configuration.GetSection("Gateway:RateLimit").Get<RateLimitOptions>() ?? new RateLimitOptions();
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Every token names its professional (sub is required); the address is only a fallback, never one shared bucket.
            options.AddPolicy(PerCallerPolicy, context => RateLimitPartition.GetTokenBucketLimiter(
                context.User.FindFirst(DisputeClaims.Subject)?.Value is { Length: > 0 } subject
                    ? $"professional:{context.User.FindFirst(DisputeClaims.Agency)?.Value}/{subject}"
                    : $"address:{context.Connection.RemoteIpAddress}",
                _ => perCaller.ToTokenBucket()));
            options.OnRejected = (context, _) => new ValueTask(RefusalResponses.WriteAsync(context.HttpContext,
                StatusCode.ResourceExhausted, StatusCodes.Status429TooManyRequests, "Too many calls from this caller; retry with backoff."));
        });
        return builder;
    }

    /// <summary>
    /// The order matters: the caller's address from the trusted ingress, the address limit
    /// before any token is looked at, then authentication, the per-professional limit and the
    /// message size limit.
    /// </summary>
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseMiddleware<ClientAddressRateLimiter>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseMiddleware<MessageSizeLimit>(GrpcExtensions.MaxMessageBytes);
        return app;
    }

    private sealed class TrustedProxies
    {
        public string[] KnownProxies { get; set; } = [];
        public string[] KnownNetworks { get; set; } = [];
    }
}

public sealed class RateLimitOptions
{
    public int TokenLimit { get; set; } = 200;
    public int TokensPerPeriod { get; set; } = 100;
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);
    public int QueueLimit { get; set; }

    public TokenBucketRateLimiterOptions ToTokenBucket() => new()
    {
        TokenLimit = TokenLimit,
        TokensPerPeriod = TokensPerPeriod,
        ReplenishmentPeriod = ReplenishmentPeriod,
        QueueLimit = QueueLimit,
        AutoReplenishment = true,
    };
}
