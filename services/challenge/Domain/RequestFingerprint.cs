using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Disputes.ServiceDefaults.Identity;
using Google.Protobuf;

namespace Disputes.Challenge.Domain;

/// <summary>
/// A request_id made structured: <see cref="Key"/> identifies (command, challenge, caller,
/// request id) as a hash of the length-prefixed parts, so no two different tuples share a
/// key however their text looks; <see cref="RequestHash"/> is the hash of the canonical
/// request, so a replay can tell a retry from the same id reused for something else.
/// </summary>
public sealed record RequestFingerprint(string Key, string RequestHash)
{
    /// <summary>Null when the caller sent no request_id (no replay protection).</summary>
    public static RequestFingerprint? For(ChallengeCommand command, string challengeId, Caller caller, string requestId, IMessage canonicalRequest) =>
        requestId.Length == 0
            ? null
            : new(KeyOf(ChallengeCommandNames.Of(command), challengeId, caller.AgencyId, caller.ProfessionalId, requestId),
                Convert.ToHexStringLower(SHA256.HashData(canonicalRequest.ToByteArray())));

    public static string KeyOf(params string[] parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var part in parts)
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
