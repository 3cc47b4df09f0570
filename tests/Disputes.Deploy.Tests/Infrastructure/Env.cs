namespace Disputes.Deploy.Tests.Infrastructure;

/// <summary>An environment variable as set on a container: a literal value or a reference.</summary>
public sealed record EnvVar(string Name, string? Value, string? SecretName, string? SecretKey, string? ConfigMapName, bool HasFieldRef)
{
    public bool IsSet => !string.IsNullOrEmpty(Value) || SecretName is not null || ConfigMapName is not null || HasFieldRef;

    public static IReadOnlyList<EnvVar> Of(YamlDotNet.RepresentationModel.YamlNode container) =>
        container.Items("env")
            .Select(e => new EnvVar(
                e.Str("name") ?? string.Empty,
                e.Str("value"),
                e.Str("valueFrom", "secretKeyRef", "name"),
                e.Str("valueFrom", "secretKeyRef", "key"),
                e.Str("valueFrom", "configMapKeyRef", "name"),
                e.Get("valueFrom", "fieldRef") is not null || e.Get("valueFrom", "resourceFieldRef") is not null))
            .ToList();
}
