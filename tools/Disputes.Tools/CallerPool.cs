using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Grpc.Core;

namespace Disputes.Tools;

/// <summary>A professional with a development token, ready to send as call headers.</summary>
public sealed record LoadCaller(string ProfessionalId, string AgencyId, string ReceivingAgencyId, Metadata Headers);

/// <summary>
/// Many professionals across a few agencies, handed out round-robin. The gateway limits each
/// professional separately (a token bucket per caller), so spreading calls over many callers
/// keeps the limiter out of what is measured.
/// </summary>
public sealed class CallerPool
{
    /// <summary>Agencies of the partnership; each raises against the next one, never itself.</summary>
    public static IReadOnlyList<string> Agencies { get; } =
        ["childrens-social-care", "police-cleveland", "health-north-tees", "education-stockton"];

    private readonly LoadCaller[] _callers;
    private readonly Dictionary<string, LoadCaller[]> _byAgency;
    private long _next = -1;

    private CallerPool(LoadCaller[] callers)
    {
        _callers = callers;
        _byAgency = callers.GroupBy(c => c.AgencyId).ToDictionary(g => g.Key, g => g.ToArray());
    }

    public int Count => _callers.Length;

    public static CallerPool Mint(AuthOptions auth, int size, TimeSpan lifetime, DateTimeOffset now)
    {
        var callers = new LoadCaller[size];
        for (var i = 0; i < size; i++)
        {
            var agency = Agencies[i % Agencies.Count];
            var professional = $"load-{i:D4}";
            var token = DevelopmentTokens.Mint(auth, professional, agency, [DisputeRoles.Practitioner], lifetime, now);
            callers[i] = new LoadCaller(professional, agency, Agencies[(i + 1) % Agencies.Count],
                new Metadata { { "authorization", $"Bearer {token}" } });
        }
        return new CallerPool(callers);
    }

    public LoadCaller Next() => _callers[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)_callers.Length)];

    /// <summary>A caller of the given agency (a party may read its own disputes' records), round-robin.</summary>
    public LoadCaller NextOf(string agencyId)
    {
        var callers = _byAgency[agencyId];
        return callers[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)callers.Length)];
    }
}
