using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Microsoft.Extensions.Options;

namespace Disputes.Records.Witness;

/// <summary>
/// The bearer token records presents to the witness: the identity provider's token for the records
/// service (from <see cref="RecordWitnessOptions.TokenFile"/>), or, in Development, one minted with the
/// same development signing key every service validates (subject and agency <c>records</c>, role
/// <c>records_service</c>), renewed before it expires.
/// </summary>
public sealed class RecordsServiceToken(IOptions<RecordWitnessOptions> options, AuthOptions auth)
{
    public const string Subject = "records";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    // A reference swapped whole, so concurrent calls never read half of one token and half of another.
    private Minted? _minted;

    private sealed record Minted(string Token, DateTimeOffset RenewAt);

    /// <summary>Null when records has no way to prove who it is (no token file, no development key).</summary>
    public async ValueTask<string?> GetAsync(CancellationToken cancellationToken)
    {
        if (options.Value.TokenFile is { Length: > 0 } file)
            return (await File.ReadAllTextAsync(file, cancellationToken)).Trim();
        if (auth.SigningKey.Length == 0)
            return null;
        // The wall clock, not the injected one: the token is checked against another process's clock.
        var now = DateTimeOffset.UtcNow;
        if (_minted is { } minted && now < minted.RenewAt)
            return minted.Token;
        var token = DevelopmentTokens.Mint(auth, Subject, Subject, [DisputeRoles.RecordsService], Lifetime, now);
        _minted = new Minted(token, now + Lifetime / 2);
        return token;
    }
}
