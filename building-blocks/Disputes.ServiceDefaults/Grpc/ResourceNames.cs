namespace Disputes.ServiceDefaults.Grpc;

/// <summary>Resource names of the API, e.g. <c>challenges/{challenge}</c>.</summary>
public static class ResourceNames
{
    public const string ChallengesCollection = "challenges";

    public static string Challenge(string id) => $"{ChallengesCollection}/{id}";

    /// <summary>The challenge id in <paramref name="name"/> plus <paramref name="suffix"/>; INVALID_ARGUMENT on <paramref name="field"/> otherwise.</summary>
    public static string ParseChallenge(string? name, string field, string suffix = "")
    {
        const string prefix = ChallengesCollection + "/";
        if (name is not null && name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(suffix, StringComparison.Ordinal))
        {
            var id = name[prefix.Length..^suffix.Length];
            if (SortableId.IsValid(id))
                return id;
        }
        throw RpcErrors.InvalidArgument(field, $"must be a resource name of the form \"{prefix}{{challenge}}{suffix}\"");
    }
}
