using Disputes.ServiceDefaults.Grpc;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Disputes.ServiceDefaults.Identity;

public static class AuthenticationExtensions
{
    /// <summary>The authorization policy every API call must satisfy: a valid token naming an agency.</summary>
    public const string CallerPolicy = "caller";

    public static WebApplicationBuilder AddDisputesAuthentication(this WebApplicationBuilder builder)
    {
        var auth = builder.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        if (auth.Authority.Length == 0 && auth.SigningKey.Length == 0)
            throw new InvalidOperationException("Set Auth:Authority (the identity provider) or, for development, Auth:SigningKey.");

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.Audience = auth.Audience;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Issuer,
                    ValidAudience = auth.Audience,
                    NameClaimType = DisputeClaims.Subject,
                    RoleClaimType = DisputeClaims.Roles,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                options.Events = new JwtBearerEvents
                {
                    OnChallenge = context =>
                    {
                        if (!GrpcHttpResponses.IsGrpc(context.Request))
                            return Task.CompletedTask;
                        context.HandleResponse();
                        var reason = context.AuthenticateFailure is null ? "A bearer token is required." : "The bearer token is not valid.";
                        return GrpcHttpResponses.WriteStatusAsync(context.Response, StatusCode.Unauthenticated, reason);
                    },
                    OnForbidden = context => GrpcHttpResponses.IsGrpc(context.Request)
                        ? GrpcHttpResponses.WriteStatusAsync(context.Response, StatusCode.PermissionDenied, "The token does not name the caller's agency.")
                        : Task.CompletedTask,
                };
                if (auth.Authority.Length > 0)
                    options.Authority = auth.Authority;
                else
                    options.TokenValidationParameters.IssuerSigningKey = DevelopmentTokens.KeyFrom(auth.SigningKey);
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(CallerPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(DisputeClaims.Agency));
        return builder;
    }
}
