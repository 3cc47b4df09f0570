using Disputes.Deploy.Tests.Infrastructure;

namespace Disputes.Deploy.Tests;

/// <summary>
/// Every rendered object validates offline against the Kubernetes schemas (npm package kubernetes-models,
/// strict about unknown fields) or, for Dapr resources, against tests/deploy/dapr-schemas.mjs.
/// Needs <c>npm ci</c> in tests/deploy first.
/// </summary>
public sealed class SchemaValidationTests
{
    private const string InvalidManifests = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: broken
        spec:
          replicas: two
          selector:
            matchLabels: {app: broken}
          template:
            metadata:
              labels: {app: broken}
            spec:
              containers:
                - name: broken
                  image: example/broken:1.0.0
                  readinesProbe: {}
        ---
        apiVersion: example.org/v1
        kind: Unknown
        metadata:
          name: unknown
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Resiliency
        metadata:
          name: broken
        spec:
          policies:
            retries:
              once: {policy: constant, duration: 1s, maxRetries: 1}
          targets:
            components:
              pubsub:
                inbound: {retry: missing}
        """;

    private const string ValidManifest = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: fine
        data:
          key: value
        """;

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Rendered_objects_validate_against_the_schemas(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var result = Validate(rendered.Yaml);
        Assert.True(result.ExitCode == 0, $"Overlay {overlay} does not validate: {result.Describe()}");
        var count = rendered.Objects.Count;
        Assert.Contains($"validated {count} objects: {count} valid, 0 invalid", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_rejects_invalid_objects()
    {
        var result = Validate(InvalidManifests);
        Assert.True(result.ExitCode == 1, $"The validator accepted invalid manifests: {result.Describe()}");
        Assert.Contains("validated 3 objects: 0 valid, 3 invalid", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("replicas must be integer", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("readinesProbe: unknown field", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("no schema for example.org/v1/Unknown", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("names \"missing\"", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_accepts_a_valid_object()
    {
        var result = Validate(ValidManifest);
        Assert.True(result.ExitCode == 0, $"The validator rejected a valid ConfigMap: {result.Describe()}");
        Assert.Contains("validated 1 objects: 1 valid, 0 invalid", result.StandardOutput, StringComparison.Ordinal);
    }

    private static ToolResult Validate(string yaml)
    {
        var node = Tool.Node();
        var tools = Repo.DeployToolsDirectory;
        var script = Path.Combine(tools, "validate.mjs");
        Assert.True(File.Exists(script), $"{script} is missing.");
        var modules = Path.Combine(tools, "node_modules", "kubernetes-models");
        Assert.True(
            Directory.Exists(modules),
            $"{modules} is missing: install the validator's packages first with `npm ci --prefix tests/deploy` (from the repository root).");

        var file = Path.Combine(Path.GetTempPath(), $"disputes-deploy-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(file, yaml);
            return Tool.Run(node, [script, file], tools, TimeSpan.FromMinutes(2));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
