namespace Disputes.Deploy.Tests.Infrastructure;

/// <summary>Paths in the repository, found by walking up to the directory holding Disputes.slnx or .git.</summary>
public static class Repo
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    public static string OverlaysDirectory => Path.Combine(Root, "deploy", "k8s", "overlays");

    public static string DeployToolsDirectory => Path.Combine(Root, "tests", "deploy");

    public static string Combine(params string[] relative) => Path.Combine([Root, .. relative]);

    /// <summary>The overlays under deploy/k8s/overlays (each directory with a kustomization file).</summary>
    public static IReadOnlyList<string> Overlays()
    {
        if (!Directory.Exists(OverlaysDirectory))
        {
            return [];
        }

        return Directory.GetDirectories(OverlaysDirectory)
            .Where(d => File.Exists(Path.Combine(d, "kustomization.yaml")) || File.Exists(Path.Combine(d, "kustomization.yml")))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Disputes.slnx"))
                || Directory.Exists(Path.Combine(dir.FullName, ".git"))
                || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"Could not find the repository root (a directory holding Disputes.slnx or .git) above {AppContext.BaseDirectory}.");
    }
}
