using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Microsoft.Extensions.Options;

namespace Disputes.Records.Witness;

public static class RecordWitnessExtensions
{
    /// <summary>
    /// The witness client: a gRPC client of the escalation service (Grpc.Net.ClientFactory) at
    /// <c>Records:Witness:Address</c>, presenting records' own token on every call. Without an
    /// address no client is registered and VerifyRecord reports the witness unavailable.
    /// </summary>
    public static IServiceCollection AddRecordWitness(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(RecordWitnessOptions.SectionName);
        services.AddOptions<RecordWitnessOptions>().Bind(section)
            .Validate(o => o.Deadline > TimeSpan.Zero, "Records:Witness:Deadline must be positive")
            .Validate(o => o.Address.Length == 0 || Uri.TryCreate(o.Address, UriKind.Absolute, out _), "Records:Witness:Address must be an absolute URI")
            .ValidateOnStart();
        var auth = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        services.AddSingleton(sp => new RecordsServiceToken(sp.GetRequiredService<IOptions<RecordWitnessOptions>>(), auth));
        services.AddSingleton<RecordWitnessClient>();

        var address = section[nameof(RecordWitnessOptions.Address)];
        if (string.IsNullOrEmpty(address) || !Uri.TryCreate(address, UriKind.Absolute, out var uri))
            return services;
        services.AddGrpcClient<EscalationService.EscalationServiceClient>(o => o.Address = uri)
            // Inside the cluster the services speak h2c; the token still goes with every call.
            .ConfigureChannel(o => o.UnsafeUseInsecureChannelCallCredentials = uri.Scheme == Uri.UriSchemeHttp)
            .AddCallCredentials(async (_, metadata, provider) =>
            {
                if (await provider.GetRequiredService<RecordsServiceToken>().GetAsync(CancellationToken.None) is { } token)
                    metadata.Add("Authorization", "Bearer " + token);
            });
        return services;
    }
}
