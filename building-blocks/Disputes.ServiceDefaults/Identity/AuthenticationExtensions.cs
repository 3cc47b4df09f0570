using Grpc.Core;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Disputes.ServiceDefaults.Identity;

public static class AuthenticationExtensions
{
    /// <summary>The authorization policy every API call must satisfy: a valid token naming an agency.</summary>
    public const string CallerPolicy = "caller";

    public static WebApplicationBuilder AddDisputesAuthentication(this WebApplicationBuilder builder)
    {
        var auth = builder.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        RefuseUnsafeConfiguration(auth, builder.Environment);

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.Audience = auth.Audience;
                options.TokenValidationParameters = TokenValidation.ParametersFor(auth);
                options.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context =>
                    {
                        if (TokenValidation.Refusal(context.Principal!) is { } refusal)
                            context.Fail(refusal);
                        return Task.CompletedTask;
                    },
                    OnChallenge = context =>
                    {
                        context.HandleResponse();
                        context.Response.Headers.WWWAuthenticate = context.AuthenticateFailure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
                        var reason = context.AuthenticateFailure is null ? "A bearer token is required." : "The bearer token is not valid.";
                        return RefusalResponses.WriteAsync(context.HttpContext, StatusCode.Unauthenticated, StatusCodes.Status401Unauthorized, reason);
                    },
                    OnForbidden = context => RefusalResponses.WriteAsync(context.HttpContext, StatusCode.PermissionDenied,
                        StatusCodes.Status403Forbidden, "The token does not name the caller's agency."),
                };
                if (auth.Authority.Length > 0)
                    options.Authority = auth.Authority;
            });
        // Each token is validated once, then answered from the cache until its expiry.
        builder.Services.AddSingleton(services => new ValidatedTokenCache(
            services.GetService<TimeProvider>() ?? TimeProvider.System, auth.ValidatedTokenCacheSize));
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<ValidatedTokenCache>((options, cache) =>
            {
                options.TokenHandlers.Clear();
                options.TokenHandlers.Add(new CachingJsonWebTokenHandler(cache) { MapInboundClaims = false });
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(CallerPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(DisputeClaims.Agency));
        return builder;
    }

    /// <summary>
    /// Exactly one source of signing keys, and never the development key outside Development:
    /// a deployment that forgot its identity provider must not start, rather than accept tokens
    /// anyone holding that key can mint.
    /// </summary>
    public static void RefuseUnsafeConfiguration(AuthOptions auth, IHostEnvironment environment)
    {
        if (auth.Authority.Length == 0 && auth.SigningKey.Length == 0)
            throw new InvalidOperationException("Set Auth:Authority (the identity provider) or, for development, Auth:SigningKey.");
        if (auth.Authority.Length > 0 && auth.SigningKey.Length > 0)
            throw new InvalidOperationException("Set either Auth:Authority or Auth:SigningKey, not both.");
        if (auth.SigningKey.Length > 0 && !environment.IsDevelopment())
            throw new InvalidOperationException(
                $"Auth:SigningKey (the development signing key) is set in the '{environment.EnvironmentName}' environment. " +
                "It is accepted only with ASPNETCORE_ENVIRONMENT=Development; elsewhere set Auth:Authority to the identity provider.");
        if (auth.SigningKey.Length > 0 && !IsKeyOfAtLeast256Bits(auth.SigningKey))
            throw new InvalidOperationException("Auth:SigningKey must be base64 of at least 32 random bytes.");
    }

    private static bool IsKeyOfAtLeast256Bits(string base64)
    {
        var bytes = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, bytes, out var written) && written >= 32;
    }
}
