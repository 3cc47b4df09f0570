namespace Disputes.ServiceDefaults.Grpc;

/// <summary>Etags for optimistic concurrency: the resource's version, quoted as HTTP writes entity tags.</summary>
public static class Etags
{
    public static string Of(long version) => $"\"{version}\"";
}
