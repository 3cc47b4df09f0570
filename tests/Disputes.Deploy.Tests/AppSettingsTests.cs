using Disputes.Deploy.Tests.Infrastructure;

namespace Disputes.Deploy.Tests;

/// <summary>The configuration-key rules the configuration tests rely on.</summary>
public sealed class AppSettingsTests
{
    private const string Json = """
        {
          "ConnectionStrings": { "redis": "" },
          "Auth": { "SigningKey": "", "Authority": "", "Audience": "disputes" },
          "EventBus": { "MaxDeliveryAttempts": 5 },
          "Hosts": [ "a", "b" ]
        }
        """;

    [Theory]
    [InlineData("ConnectionStrings__redis", true)]
    [InlineData("connectionstrings__REDIS", true)]
    [InlineData("Auth__SigningKey", true)]
    [InlineData("EventBus__MaxDeliveryAttempts", true)]
    [InlineData("Hosts__1", true)]
    [InlineData("Auth__SigningKeyy", false)]
    [InlineData("Auth", false)]
    [InlineData("Redis__ConnectionString", false)]
    public void Environment_variables_map_to_keys(string variable, bool known) =>
        Assert.Equal(known, AppSettings.Parse("test.json", Json).Contains(AppSettings.KeyOf(variable)));

    [Fact]
    public void Empty_defaults_are_required_keys()
    {
        var required = AppSettings.Parse("test.json", Json).EmptyDefaultKeys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["Auth:Authority", "Auth:SigningKey", "ConnectionStrings:redis"], required);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", true)]
    [InlineData("ASPNETCORE_ENVIRONMENT", true)]
    [InlineData("DOTNET_gcServer", true)]
    [InlineData("OTEL_TRACES_SAMPLER", true)]
    [InlineData("REDIS_PASSWORD", false)]
    public void Standard_variables(string variable, bool standard) => Assert.Equal(standard, Processes.IsStandardVariable(variable));

    [Fact]
    public void Every_process_has_an_appsettings_file_with_kestrel_endpoints()
    {
        foreach (var process in Processes.All)
        {
            var settings = process.Settings;
            Assert.True(settings.Contains("Kestrel:Endpoints:Grpc:Url"), $"{process.AppSettingsPath} has no Kestrel:Endpoints:Grpc:Url");
            Assert.True(settings.Contains("Kestrel:Endpoints:Http:Url"), $"{process.AppSettingsPath} has no Kestrel:Endpoints:Http:Url");
        }
    }
}
