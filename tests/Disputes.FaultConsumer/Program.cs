using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.FaultConsumer;
using Disputes.Procedure;
using Disputes.V1.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

// Configuration from the environment: ConnectionStrings__redis, EventBus__AppId, EventBus__ProcessingTimeout, ...
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
{
    var options = ConfigurationOptions.Parse(builder.Configuration.GetConnectionString("redis")
        ?? throw new InvalidOperationException("ConnectionStrings:redis is required"));
    options.AbortOnConnectFail = false;
    return ConnectionMultiplexer.Connect(options);
});
builder.Services.AddRedisStreamsEventBus(builder.Configuration, IntegrationEvents.Catalog);
builder.Services.AddEventHandler<ChallengeRaised, ApplyOnceHandler>();
builder.Build().Run();
