using Google.Protobuf.Reflection;
using Google.Rpc;
using Disputes.ServiceDefaults.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Disputes.ServiceDefaults.Grpc;

public static class GrpcExtensions
{
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>gRPC with the suite's error handling, plus REST/JSON from the protos' google.api.http rules.</summary>
    public static WebApplicationBuilder AddDisputesGrpc(this WebApplicationBuilder builder)
    {
        builder.Services.AddGrpc(options =>
        {
            options.Interceptors.Add<ServerErrorInterceptor>();
            options.MaxReceiveMessageSize = MaxMessageBytes;
        }).AddJsonTranscoding(options =>
            // So REST callers get the same rich error details (as JSON) that gRPC callers get.
            options.TypeRegistry = TypeRegistry.FromMessages(
                BadRequest.Descriptor, ResourceInfo.Descriptor, PreconditionFailure.Descriptor, ErrorInfo.Descriptor));
        builder.Services.AddGrpcHealthChecks();
        return builder;
    }

    /// <summary>Maps the service's API for authenticated callers naming an agency, and the gRPC health service.</summary>
    public static IEndpointRouteBuilder MapDisputesGrpcService<TService>(this IEndpointRouteBuilder endpoints) where TService : class
    {
        endpoints.MapGrpcService<TService>().RequireAuthorization(AuthenticationExtensions.CallerPolicy);
        endpoints.MapGrpcHealthChecksService();
        return endpoints;
    }
}
