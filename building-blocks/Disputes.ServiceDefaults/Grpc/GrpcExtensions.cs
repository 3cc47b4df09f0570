using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Disputes.ServiceDefaults.Grpc;

public static class GrpcExtensions
{
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    public static WebApplicationBuilder AddDisputesGrpc(this WebApplicationBuilder builder)
    {
        builder.Services.AddGrpc(options =>
        {
            options.Interceptors.Add<ServerErrorInterceptor>();
            options.MaxReceiveMessageSize = MaxMessageBytes;
        });
        builder.Services.AddGrpcHealthChecks();
        return builder;
    }
}
