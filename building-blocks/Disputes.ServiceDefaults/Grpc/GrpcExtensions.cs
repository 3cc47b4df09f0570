using Google.Protobuf.Reflection;
using Google.Rpc;
using Disputes.ServiceDefaults.Health;
using Disputes.ServiceDefaults.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Disputes.ServiceDefaults.Grpc;

public static class GrpcExtensions
{
    /// <summary>
    /// The transport limit for one received message (gRPC) or request body (REST/JSON): far above
    /// what the procedure needs (each text field is validated to tens of KiB), far below what
    /// could fill the store from a burst of calls.
    /// </summary>
    public const int MaxMessageBytes = 1024 * 1024;

    /// <summary>gRPC with the suite's error handling, plus REST/JSON from the protos' google.api.http rules.</summary>
    public static WebApplicationBuilder AddDisputesGrpc(this WebApplicationBuilder builder)
    {
        builder.Services.AddGrpc(options =>
        {
            options.Interceptors.Add<ServerErrorInterceptor>();
            options.Interceptors.Add<WellFormedTimes>();
            options.MaxReceiveMessageSize = MaxMessageBytes;
        }).AddJsonTranscoding(options =>
        {
            // So REST callers get the same rich error details (as JSON) that gRPC callers get.
            options.TypeRegistry = TypeRegistry.FromMessages(
                BadRequest.Descriptor, ResourceInfo.Descriptor, PreconditionFailure.Descriptor, ErrorInfo.Descriptor);
            // The proto3 JSON mapping writes 64-bit integers as strings (JavaScript loses precision past 2^53);
            // the transcoder writes numbers unless told. Both forms are accepted on input.
            options.JsonSettings.WriteInt64sAsStrings = true;
        });
        builder.Services.AddGrpcHealthChecks(options =>
        {
            // As over HTTP: an unhealthy check is NOT_SERVING, a degraded one (an old outbox) still SERVING.
            options.Services.Map(GrpcHealthNames.Liveness, check => check.Tags.Contains(HealthTags.Live));
            options.Services.Map(GrpcHealthNames.Readiness, _ => true);
        });
        // So grpcurl and other tools list and describe the API without the proto files.
        builder.Services.AddGrpcReflection();
        builder.LimitRequestBodies();
        return builder;
    }

    /// <summary>
    /// Kestrel's request body limit (30 MB by default) for the REST/JSON port: Kestrel:Limits:MaxRequestBodySize
    /// when configured, else <see cref="MaxMessageBytes"/>. A body that declares a larger length is
    /// answered 413 with a JSON status before anything reads it (the transcoder would say 400).
    /// </summary>
    public static WebApplicationBuilder LimitRequestBodies(this WebApplicationBuilder builder)
    {
        var limit = builder.Configuration.GetValue<long?>("Kestrel:Limits:MaxRequestBodySize") ?? MaxMessageBytes;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = limit);
        builder.Services.AddTransient<IStartupFilter>(_ => new DeclaredLengthLimit(limit));
        return builder;
    }

    private sealed class DeclaredLengthLimit(long limit) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) => context.Request.ContentLength > limit && !GrpcHttpResponses.IsGrpc(context.Request)
                ? RefusalResponses.WriteAsync(context, global::Grpc.Core.StatusCode.ResourceExhausted, StatusCodes.Status413PayloadTooLarge,
                    $"The message is larger than {limit} bytes.")
                : nextMiddleware(context));
            next(app);
        };
    }

    /// <summary>
    /// Maps the service's API for authenticated callers naming an agency, and the gRPC health and
    /// reflection services (anonymous: probes carry no token, and the API's shape is no secret).
    /// </summary>
    public static IEndpointRouteBuilder MapDisputesGrpcService<TService>(this IEndpointRouteBuilder endpoints) where TService : class
    {
        endpoints.MapGrpcService<TService>().RequireAuthorization(AuthenticationExtensions.CallerPolicy)
            .Add(UnreadableMessages.Refuse);
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        return endpoints;
    }
}
