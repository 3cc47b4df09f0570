using Disputes.EventBus;
using Disputes.EventBus.Hosting;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Records.Domain;
using Disputes.Records.Events;
using Disputes.Records.Grpc;
using Disputes.Records.Recording;
using Disputes.Records.Storage;
using Disputes.Records.Witness;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1.Events;
using StackExchange.Redis;

namespace Disputes.Records.Extensions;

public static class RecordsServiceExtensions
{
    public static WebApplicationBuilder AddRecordsServices(this WebApplicationBuilder builder)
    {
        // The transport comes from configuration; the events are those of events.proto.
        builder.AddEventBus(IntegrationEvents.Catalog);
        builder.Services.AddSingleton(RecordCheckpointsFrom(builder));
        builder.Services.AddOptions<RecordStoreOptions>().Bind(builder.Configuration.GetSection(RecordStoreOptions.SectionName))
            .Validate(o => o.SourceRetention >= TimeSpan.FromMinutes(1), "Records:Storage:SourceRetention must be at least one minute")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new RecordStore(
            sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<RecordCheckpoints>(), sp.GetRequiredService<RedisOutbox>(),
            sp.GetRequiredService<IntegrationEventFactory>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<RecordStoreOptions>>().Value));
        builder.Services.AddSingleton<AccessAuditLog>();
        builder.Services.AddSingleton<RecommendationStore>();
        builder.Services.AddSingleton<RetentionStore>();
        builder.Services.AddSingleton(RetentionRulesFrom(builder.Configuration));
        builder.Services.AddSingleton<RecordPurge>();
        builder.Services.AddSingleton<IExpiredRecordPurge>(sp => sp.GetRequiredService<RecordPurge>());
        builder.Services.AddSingleton<RecordPurgeLease>();
        builder.Services.AddOptions<RecordPurgeOptions>().Bind(builder.Configuration.GetSection(RecordPurgeOptions.SectionName))
            .Validate(o => o.Interval > TimeSpan.Zero && o.LeaseDuration > TimeSpan.Zero, "Records:Purge:Interval and LeaseDuration must be positive")
            .ValidateOnStart();
        if (builder.Configuration.GetValue(RecordPurgeOptions.SectionName + ":" + nameof(RecordPurgeOptions.Scheduled), true))
            builder.Services.AddHostedService<RecordPurgeSchedule>();
        builder.Services.AddSingleton<DisputeRecorder>();
        builder.Services.AddSingleton<RecordAccess>();
        builder.Services.AddSingleton(sp => new DisputePartiesStore(sp.GetRequiredService<IConnectionMultiplexer>(), RecordStore.Prefix));
        builder.Services.AddRecordWitness(builder.Configuration);
        builder.Services.AddRecordedEvents();
        return builder;
    }

    public static WebApplication MapRecordsApi(this WebApplication app)
    {
        app.MapDisputesGrpcService<RecordsGrpcService>();
        return app;
    }

    /// <summary>Every event the record minutes (the contract's list for records).</summary>
    private static IServiceCollection AddRecordedEvents(this IServiceCollection services) => services
        .AddEventHandler<ChallengeRaised, ChallengeRaisedHandler>()
        .AddEventHandler<ChallengeAcknowledged, RecordEventHandler<ChallengeAcknowledged>>()
        .AddEventHandler<DiscussionRecorded, RecordEventHandler<DiscussionRecorded>>()
        .AddEventHandler<ChallengeReviewed, RecordEventHandler<ChallengeReviewed>>()
        .AddEventHandler<ChallengeEscalated, RecordEventHandler<ChallengeEscalated>>()
        .AddEventHandler<ChallengeResolved, RecordEventHandler<ChallengeResolved>>()
        .AddEventHandler<ChallengeWithdrawn, RecordEventHandler<ChallengeWithdrawn>>()
        .AddEventHandler<ResponsiblePartiesRouted, RecordEventHandler<ResponsiblePartiesRouted>>()
        .AddEventHandler<RoutingGapFound, RecordEventHandler<RoutingGapFound>>()
        .AddEventHandler<IndependentChairAppointed, RecordEventHandler<IndependentChairAppointed>>()
        .AddEventHandler<TimescaleMissed, RecordEventHandler<TimescaleMissed>>()
        .AddEventHandler<NotificationDelivered, RecordEventHandler<NotificationDelivered>>();

    /// <summary>
    /// <c>Records:Retention:DefaultYears</c> (7 unless set) and <c>Records:Retention:Agencies:{agency}</c>:
    /// years a closed record keeps its narrative.
    /// </summary>
    private static RetentionRules RetentionRulesFrom(IConfiguration configuration)
    {
        var section = configuration.GetSection("Records:Retention");
        var agencies = section.GetSection("Agencies").GetChildren()
            .ToDictionary(c => c.Key, c => int.Parse(c.Value ?? "", System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);
        return new RetentionRules(section.GetValue("DefaultYears", 7), agencies);
    }

    /// <summary>
    /// The checkpoint key (<c>Records:CheckpointKey</c>, base64, at least 32 bytes) comes from
    /// configuration, never from Redis. Without one, VerifyRecord still checks the chain and its
    /// head and says the checkpoint is not configured.
    /// </summary>
    private static RecordCheckpoints RecordCheckpointsFrom(WebApplicationBuilder builder)
    {
        var key = builder.Configuration["Records:CheckpointKey"];
        try
        {
            return RecordCheckpoints.FromBase64(key);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new InvalidOperationException("Records:CheckpointKey must be base64 of at least 32 bytes.", ex);
        }
    }
}
