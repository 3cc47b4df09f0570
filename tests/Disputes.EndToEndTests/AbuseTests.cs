using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Disputes.EndToEndTests;

/// <summary>A professional the abuse tests call as.</summary>
public sealed record Who(string Name, string Professional, string Agency, string Role)
{
    public override string ToString() => Name;
}

public enum Expect
{
    /// <summary>OK: the party itself, the control that shows the row reaches a real dispute.</summary>
    Allowed,
    /// <summary>PERMISSION_DENIED, with nothing of the dispute in the answer.</summary>
    Denied,
    /// <summary>OK, and the dispute is not in the list.</summary>
    Hidden,
    /// <summary>
    /// A generic row (every string field of the request set to the dispute's name): refused, or OK
    /// only for a read, with nothing of the dispute in the answer.
    /// </summary>
    Refused,
}

/// <summary>One row of the access table: an RPC, who calls it, the request, what they must get.</summary>
public sealed record AccessCase(string Rpc, Who Caller, Func<SeededDispute, IMessage> Request, Expect Expect)
{
    public override string ToString() => $"{Rpc} by {Caller}: {Expect}";
}

/// <summary>The dispute every access row is about: raised by the police, received by children's social care.</summary>
public sealed record SeededDispute(string Name, Who Raiser)
{
    public string Id => Name["challenges/".Length..];
}

[Collection(SuiteCollection.Name)]
public sealed class AbuseTests(SuiteFixture suite)
{
    public static readonly Who Raiser = new("the raising agency", "pc-301", "police-abuse", DisputeRoles.Practitioner);
    public static readonly Who AnotherAgency = new("another agency", "hv-301", "health-abuse", DisputeRoles.Practitioner);
    public static readonly Who AnotherAgencysManager = new("another agency's senior manager", "sm-301", "education-abuse", DisputeRoles.SeniorManager);
    public static readonly Who UnappointedIro = new("an IRO not appointed to it", "iro-301", "iro-service-abuse", DisputeRoles.IndependentReviewingOfficer);
    public static readonly Who UnappointedChair = new("an independent chair not appointed to it", "chair-301", "chairs-abuse", DisputeRoles.IndependentChair);

    /// <summary>
    /// The access table. Add a row per RPC as it lands: its name, who calls, the request, and what
    /// that caller must get. Every row also checks that nothing of the dispute's narrative leaks.
    /// </summary>
    public static TheoryData<AccessCase> AccessCases => new()
    {
        new("RaiseChallenge", AnotherAgency, d => RaiseAs(new Party { AgencyId = d.Raiser.Agency, Role = "police officer" }), Expect.Denied),
        new("RaiseChallenge", AnotherAgencysManager, d => RaiseAs(new Party { ProfessionalId = d.Raiser.Professional, Role = "police officer" }), Expect.Denied),
        new("GetChallenge", Raiser, d => new GetChallengeRequest { Name = d.Name }, Expect.Allowed),
        new("GetChallenge", AnotherAgency, d => new GetChallengeRequest { Name = d.Name }, Expect.Denied),
        new("GetChallenge", AnotherAgencysManager, d => new GetChallengeRequest { Name = d.Name }, Expect.Denied),
        new("GetChallenge", UnappointedIro, d => new GetChallengeRequest { Name = d.Name }, Expect.Denied),
        new("ListChallenges", Raiser, _ => new ListChallengesRequest { PageSize = 100 }, Expect.Allowed),
        new("ListChallenges", AnotherAgency, _ => new ListChallengesRequest { PageSize = 100 }, Expect.Hidden),
        new("ListChallenges", UnappointedIro, _ => new ListChallengesRequest { PageSize = 100 }, Expect.Hidden),
        new("ListChallenges", UnappointedChair, _ => new ListChallengesRequest { PageSize = 100 }, Expect.Hidden),
        new("GetEscalation", Raiser, d => new GetEscalationRequest { Name = d.Name + "/escalation" }, Expect.Allowed),
        new("GetEscalation", AnotherAgency, d => new GetEscalationRequest { Name = d.Name + "/escalation" }, Expect.Denied),
        new("GetEscalation", UnappointedChair, d => new GetEscalationRequest { Name = d.Name + "/escalation" }, Expect.Denied),
        new("ListDeliveries", Raiser, d => new ListDeliveriesRequest { Parent = d.Name }, Expect.Allowed),
        new("ListDeliveries", AnotherAgency, d => new ListDeliveriesRequest { Parent = d.Name }, Expect.Denied),
        new("ListDeliveries", UnappointedIro, d => new ListDeliveriesRequest { Parent = d.Name }, Expect.Denied),
        new("ListRecordEntries", Raiser, d => new ListRecordEntriesRequest { Parent = d.Name }, Expect.Allowed),
        new("ListRecordEntries", AnotherAgency, d => new ListRecordEntriesRequest { Parent = d.Name }, Expect.Denied),
        new("ListRecordEntries", UnappointedChair, d => new ListRecordEntriesRequest { Parent = d.Name }, Expect.Denied),
        new("VerifyRecord", Raiser, d => new VerifyRecordRequest { Parent = d.Name }, Expect.Allowed),
        new("VerifyRecord", AnotherAgency, d => new VerifyRecordRequest { Parent = d.Name }, Expect.Denied),
        new("VerifyRecord", AnotherAgencysManager, d => new VerifyRecordRequest { Parent = d.Name }, Expect.Denied),
    };

    /// <summary>
    /// One generic row per RPC of the four services for a professional of an agency party to
    /// nothing, so the table covers every RPC even before it has hand-written rows.
    /// </summary>
    public static TheoryData<AccessCase> EveryRpcByAnotherAgency => new(Rpcs.All.Select(method =>
        new AccessCase(method.Name, AnotherAgency, d => Rpcs.RequestWithStrings(method, d.Name), Expect.Refused)));

    [Fact]
    public void Every_RPC_has_a_row_for_another_agency()
    {
        var rows = ((IEnumerable<object[]>)AccessCases).Select(r => ((AccessCase)r[0]).Rpc)
            .Concat(((IEnumerable<object[]>)EveryRpcByAnotherAgency).Select(r => ((AccessCase)r[0]).Rpc)).ToHashSet();
        var missing = Rpcs.All.Where(m => !rows.Contains(m.Name)).Select(m => m.FullName).ToList();
        Assert.True(missing.Count == 0, "no access row for: " + string.Join(", ", missing));
        Assert.True(Rpcs.All.Count >= 46, $"only {Rpcs.All.Count} RPCs found in the descriptors");
    }

    [Theory]
    [MemberData(nameof(EveryRpcByAnotherAgency))]
    public Task Another_agency_gets_nothing_of_the_dispute_from_any_RPC(AccessCase row) =>
        Each_caller_gets_what_the_permission_table_gives_it(row);

    /// <summary>Words of the seeded dispute that only a party may read.</summary>
    private static readonly string[] Narrative = ["abuse-test narrative", "child-ref-abuse-301"];

    [Theory]
    [MemberData(nameof(AccessCases))]
    public async Task Each_caller_gets_what_the_permission_table_gives_it(AccessCase row)
    {
        var dispute = await SeedAsync();

        var outcome = row.Expect == Expect.Refused
            ? await Rpcs.CallAsync(suite.Gateway, Rpcs.Named(row.Rpc), row.Request(dispute).ToByteArray(), Headers(row.Caller, "198.51.100.20"), TimeSpan.FromSeconds(2))
            : await Rpcs.CallAsync(suite.Gateway, row.Rpc, row.Request(dispute), Headers(row.Caller, "198.51.100.20"));

        switch (row.Expect)
        {
            case Expect.Allowed:
                Assert.True(outcome.Status == StatusCode.OK, $"{row}: {outcome.Status} {outcome.Detail}");
                break;
            case Expect.Denied:
                Assert.True(outcome.Status == StatusCode.PermissionDenied, $"{row}: {outcome.Status} {outcome.Detail}");
                Assert.Empty(outcome.Messages);
                Assert.DoesNotContain(Narrative, text => outcome.Everything().Contains(text, StringComparison.Ordinal));
                break;
            case Expect.Hidden:
                Assert.True(outcome.Status == StatusCode.OK, $"{row}: {outcome.Status} {outcome.Detail}");
                Assert.DoesNotContain(dispute.Id, outcome.Everything(), StringComparison.Ordinal);
                Assert.DoesNotContain(Narrative, text => outcome.Everything().Contains(text, StringComparison.Ordinal));
                break;
            case Expect.Refused:
                var read = row.Rpc.StartsWith("List", StringComparison.Ordinal) || row.Rpc.StartsWith("Get", StringComparison.Ordinal)
                    || row.Rpc.StartsWith("Export", StringComparison.Ordinal) || row.Rpc.StartsWith("Watch", StringComparison.Ordinal);
                Assert.True(outcome.Status != StatusCode.OK || read, $"{row}: a write answered OK");
                Assert.True(outcome.Status is not (StatusCode.Internal or StatusCode.Unknown), $"{row}: {outcome.Status} {outcome.Detail}");
                Assert.DoesNotContain(Narrative, text => outcome.Everything().Contains(text, StringComparison.Ordinal));
                Assert.True(outcome.Status != StatusCode.OK || !outcome.Everything().Contains(dispute.Id, StringComparison.Ordinal), $"{row}: the answer names the dispute");
                break;
        }
    }

    public static TheoryData<string> BadTokens => new(AbuseTokens.Kinds);

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Every_RPC_refuses_a_bad_token_with_UNAUTHENTICATED_and_leaks_nothing(string token)
    {
        var dispute = await SeedAsync();
        var address = $"198.51.100.{30 + AbuseTokens.Kinds.ToList().IndexOf(token)}";

        var outcomes = await Task.WhenAll(Rpcs.All.Select(async method =>
            (Method: method, Outcome: await Rpcs.CallAsync(suite.Gateway, method,
                Rpcs.RequestWithStrings(method, dispute.Name).ToByteArray(), AbuseTokens.Headers(suite, token, address)))));

        Assert.True(outcomes.Length >= 29, $"only {outcomes.Length} RPCs found in the descriptors");
        var wrong = outcomes
            .Where(o => o.Outcome.Status != StatusCode.Unauthenticated || o.Outcome.Messages.Count > 0
                || Narrative.Any(text => o.Outcome.Everything().Contains(text, StringComparison.Ordinal))
                || o.Outcome.Detail.Contains(dispute.Id, StringComparison.Ordinal))
            .Select(o => $"{o.Method.FullName}: {o.Outcome.Status} {o.Outcome.Detail}")
            .ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Fact]
    public async Task Bytes_that_are_not_the_request_message_are_INVALID_ARGUMENT_on_every_RPC()
    {
        var caller = Headers(Raiser, "198.51.100.60");
        // A truncated varint: no protobuf message parses from it.
        byte[] garbage = [0x08, 0xFF, 0xFF];

        var outcomes = await Task.WhenAll(Rpcs.All.Select(async method =>
            (Method: method.FullName, Outcome: await Rpcs.CallAsync(suite.Gateway, method, garbage, caller))));

        var wrong = outcomes.Where(o => o.Outcome.Status != StatusCode.InvalidArgument).Select(o => $"{o.Method}: {o.Outcome.Status} {o.Outcome.Detail}").ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Fact]
    public async Task Unknown_fields_in_a_request_are_never_echoed_back()
    {
        const string marker = "unknown-field-marker-7f3a";
        var caller = Headers(new Who("unknown fields", "pc-302", "police-unknown-fields", DisputeRoles.Practitioner), "198.51.100.50");
        var request = DisputeLifecycleTests.NewRaise();
        request.Challenge = WithUnknown(request.Challenge, Challenge.Parser, marker);
        request = WithUnknown(request, RaiseChallengeRequest.Parser, marker);

        var raised = await Rpcs.CallAsync(suite.Gateway, "RaiseChallenge", request, caller);
        Assert.True(raised.Status == StatusCode.OK, $"{raised.Status} {raised.Detail}");
        var name = raised.Parse(Challenge.Parser).Name;
        var read = await Rpcs.CallAsync(suite.Gateway, "GetChallenge", WithUnknown(new GetChallengeRequest { Name = name }, GetChallengeRequest.Parser, marker), caller);
        var listed = await Rpcs.CallAsync(suite.Gateway, "ListChallenges", WithUnknown(new ListChallengesRequest(), ListChallengesRequest.Parser, marker), caller);

        foreach (var (rpc, outcome) in new[] { ("RaiseChallenge", raised), ("GetChallenge", read), ("ListChallenges", listed) })
        {
            Assert.True(outcome.Status == StatusCode.OK, $"{rpc}: {outcome.Status} {outcome.Detail}");
            Assert.False(outcome.Everything().Contains(marker, StringComparison.Ordinal), $"{rpc} echoed an unknown field");
        }
    }

    /// <summary><paramref name="message"/> carrying an unknown string field (number 999) holding <paramref name="text"/>.</summary>
    private static T WithUnknown<T>(T message, MessageParser<T> parser, string text) where T : IMessage<T>
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(999, WireFormat.WireType.LengthDelimited);
        output.WriteString(text);
        output.Flush();
        return parser.ParseFrom([.. message.ToByteArray(), .. stream.ToArray()]);
    }

    private static RaiseChallengeRequest RaiseAs(Party raising)
    {
        var request = DisputeLifecycleTests.NewRaise();
        request.Challenge.RaisingParty = raising;
        return request;
    }

    internal Metadata Headers(Who who, string clientAddress) => new()
    {
        { "authorization", "Bearer " + suite.Token(who.Professional, who.Agency, who.Role) },
        { "x-forwarded-for", clientAddress },
    };

    private static readonly SemaphoreSlim SeedLock = new(1, 1);
    private static (SuiteFixture Suite, SeededDispute Dispute)? _seeded;

    /// <summary>Raises the dispute once per suite, and waits until every service has heard of its parties.</summary>
    internal async Task<SeededDispute> SeedAsync()
    {
        await SeedLock.WaitAsync();
        try
        {
            if (_seeded is { } seeded && seeded.Suite == suite)
                return seeded.Dispute;
            var request = DisputeLifecycleTests.NewRaise();
            request.Challenge.ReceivingParty.AgencyId = "childrens-social-care-abuse";
            request.Challenge.Child.Reference = "child-ref-abuse-301";
            request.Challenge.Subject = "abuse-test narrative: the case was closed after one visit.";
            var raised = await Rpcs.CallAsync(suite.Gateway, "RaiseChallenge", request, Headers(Raiser, "198.51.100.10"));
            Assert.True(raised.Status == StatusCode.OK, $"seeding: {raised.Status} {raised.Detail}");
            var dispute = new SeededDispute(raised.Parse(Challenge.Parser).Name, Raiser);

            var deadline = DateTime.UtcNow.AddSeconds(20);
            foreach (var (rpc, message) in new (string, IMessage)[]
            {
                ("GetEscalation", new GetEscalationRequest { Name = dispute.Name + "/escalation" }),
                ("ListDeliveries", new ListDeliveriesRequest { Parent = dispute.Name }),
                ("ListRecordEntries", new ListRecordEntriesRequest { Parent = dispute.Name }),
            })
            {
                while ((await Rpcs.CallAsync(suite.Gateway, rpc, message, Headers(Raiser, "198.51.100.10"))).Status != StatusCode.OK)
                {
                    Assert.True(DateTime.UtcNow < deadline, $"{rpc} never learnt of {dispute.Name}");
                    await Task.Delay(100);
                }
            }
            _seeded = (suite, dispute);
            return dispute;
        }
        finally
        {
            SeedLock.Release();
        }
    }
}
