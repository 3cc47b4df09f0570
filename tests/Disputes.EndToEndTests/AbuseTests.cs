using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Disputes.EndToEndTests;

/// <summary>A professional the abuse tests call as.</summary>
public sealed record Who(string Name, string Professional, string Agency, string Role)
{
    /// <summary>Of the raising or the receiving agency of the seeded disputes.</summary>
    public bool OfPartyAgency => Agency is AbuseSeed.RaisingAgency or AbuseSeed.ReceivingAgency;

    public override string ToString() => Name;
}

public enum Expect
{
    /// <summary>OK: the control that shows the row's request reaches a real dispute.</summary>
    Allowed,
    /// <summary>OK, and the seeded stage 1 dispute is in the list: the control of a Hidden row.</summary>
    Listed,
    /// <summary>The stream stays open until the caller's deadline (DEADLINE_EXCEEDED): nothing was refused.</summary>
    Watching,
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

[Collection(SuiteCollection.Name)]
public sealed class AbuseTests(SuiteFixture suite)
{
    private const string RaisingAgency = AbuseSeed.RaisingAgency;
    private const string ReceivingAgency = AbuseSeed.ReceivingAgency;

    // The parties of the seeded disputes and the partnership's people (AbuseSeed's directory).
    public static readonly Who Referrer = new("the referrer", "pc-101", RaisingAgency, DisputeRoles.Practitioner);
    public static readonly Who Raiser = Referrer;
    public static readonly Who RaisingLineManager = new("the raising line manager", "ps-20", RaisingAgency, DisputeRoles.LineManager);
    public static readonly Who RaisingSeniorManager = new("a raising senior manager", "insp-30", RaisingAgency, DisputeRoles.SeniorManager);
    public static readonly Who SocialWorker = new("the receiving social worker", "sw-7", ReceivingAgency, DisputeRoles.Practitioner);
    public static readonly Who ReceivingLineManager = new("the receiving line manager", "tm-8", ReceivingAgency, DisputeRoles.LineManager);
    public static readonly Who Chair = new("the appointed chair", "chair-1", AbuseSeed.ChairAgency, DisputeRoles.IndependentChair);
    public static readonly Who PartnershipManager = new("the partnership", "scp-1", AbuseSeed.PartnershipAgency, DisputeRoles.Partnership);

    // Callers party to nothing.
    public static readonly Who AnotherAgency = new("another agency", "hv-301", "school-abuse", DisputeRoles.Practitioner);
    public static readonly Who AnotherAgencysManager = new("another agency's senior manager", "sm-301", "education-abuse", DisputeRoles.SeniorManager);
    public static readonly Who UnappointedIro = new("an IRO not appointed to it", "iro-301", "iro-service-abuse", DisputeRoles.IndependentReviewingOfficer);
    public static readonly Who UnappointedChair = new("an independent chair not appointed to it", "chair-301", "chairs-abuse", DisputeRoles.IndependentChair);
    /// <summary>Professional ids are an agency's own: another agency's chair-1 is not the chair appointed.</summary>
    public static readonly Who ChairsNamesake = new("the appointed chair's id at another agency", "chair-1", "chairs-abuse", DisputeRoles.IndependentChair);

    /// <summary>
    /// The RPCs gated by role (or by which party agency asks) beyond reading the dispute: each needs
    /// a row where a professional of a party agency, without the role the RPC needs, is refused.
    /// </summary>
    public static readonly IReadOnlySet<string> RoleGated = new HashSet<string>
    {
        "AcknowledgeChallenge", "ReviewChallenge", "EscalateChallenge", "ResolveChallenge", "WithdrawChallenge",
        "ListOverdueEscalations", "ListDueSoonEscalations", "AppointIndependentChair", "GetRecordWitness", "CreateAgency", "UpdateAgency", "RetireAgency",
        "CreateProfessional", "UpdateProfessional", "RetireProfessional", "CreateTimescalePolicyVersion",
        "ListDeliveries", "WatchNotifications", "CreateWebhookSubscription", "ListWebhookSubscriptions", "DeleteWebhookSubscription",
        "CreateEmailSubscription", "ListEmailSubscriptions", "DeleteEmailSubscription",
        "RecordMinutes", "ApproveMinutes", "CorrectRecordEntry", "ListAccessAudit", "CreateRecommendation", "UpdateRecommendationStatus",
        "ListRecommendations", "SetLegalHold", "PurgeExpiredRecords", "GetEscalationReport", "ExportEscalationReport",
    };

    /// <summary>
    /// The access table, one row per (RPC, caller): its name, who calls, a real request about a
    /// seeded dispute (or its agencies), and what that caller must get. Every refused row also
    /// checks that nothing of the dispute's narrative leaks.
    /// </summary>
    public static TheoryData<AccessCase> AccessCases => new(Rows());

    private static IEnumerable<AccessCase> Rows() =>
    [
        // challenge: a raise names its caller as the raiser; every command reads the dispute (DisputeAccess), then ChallengePermissions.
        new("RaiseChallenge", Referrer, _ => RaiseAs(new Party { Role = "police officer" }), Expect.Allowed),
        new("RaiseChallenge", AnotherAgency, _ => RaiseAs(new Party { AgencyId = RaisingAgency, Role = "police officer" }), Expect.Denied),
        new("RaiseChallenge", AnotherAgencysManager, _ => RaiseAs(new Party { ProfessionalId = Referrer.Professional, Role = "police officer" }), Expect.Denied),
        new("GetChallenge", Referrer, d => new GetChallengeRequest { Name = d.Name }, Expect.Allowed),
        new("GetChallenge", Chair, d => new GetChallengeRequest { Name = d.AtPartnership }, Expect.Allowed),
        new("GetChallenge", AnotherAgency, d => new GetChallengeRequest { Name = d.Name }, Expect.Denied),
        new("GetChallenge", AnotherAgencysManager, d => new GetChallengeRequest { Name = d.Name }, Expect.Denied),
        new("GetChallenge", UnappointedIro, d => new GetChallengeRequest { Name = d.Name }, Expect.Denied),
        new("GetChallenge", ChairsNamesake, d => new GetChallengeRequest { Name = d.AtPartnership }, Expect.Denied),
        new("ListChallenges", Referrer, _ => new ListChallengesRequest { PageSize = 100 }, Expect.Listed),
        new("ListChallenges", AnotherAgency, _ => new ListChallengesRequest { PageSize = 100 }, Expect.Hidden),
        new("ListChallenges", UnappointedIro, _ => new ListChallengesRequest { PageSize = 100 }, Expect.Hidden),
        new("ListChallenges", UnappointedChair, _ => new ListChallengesRequest { PageSize = 100 }, Expect.Hidden),
        new("ListChallenges", ChairsNamesake, _ => new ListChallengesRequest { PageSize = 100 }, Expect.Hidden),
        new("AcknowledgeChallenge", SocialWorker, d => new AcknowledgeChallengeRequest { Name = d.ScratchFor("acknowledge"), Note = "Received." }, Expect.Allowed),
        new("AcknowledgeChallenge", AnotherAgency, d => new AcknowledgeChallengeRequest { Name = d.Name, Note = "Received." }, Expect.Denied),
        new("AcknowledgeChallenge", Referrer, d => new AcknowledgeChallengeRequest { Name = d.Name, Note = "Received." }, Expect.Denied),
        new("RecordDiscussion", Referrer, d => new RecordDiscussionRequest { Name = d.ScratchFor("discussion"), Discussion = Discussion() }, Expect.Allowed),
        new("RecordDiscussion", AnotherAgency, d => new RecordDiscussionRequest { Name = d.AtPartnership, Discussion = Discussion() }, Expect.Denied),
        new("ReviewChallenge", RaisingLineManager, d => new ReviewChallengeRequest { Name = d.ScratchFor("review"), Justified = true }, Expect.Allowed),
        new("ReviewChallenge", AnotherAgency, d => new ReviewChallengeRequest { Name = d.AtLineManagers, Justified = true }, Expect.Denied),
        new("ReviewChallenge", Referrer, d => new ReviewChallengeRequest { Name = d.AtLineManagers, Justified = true }, Expect.Denied),
        new("ReviewChallenge", ReceivingLineManager, d => new ReviewChallengeRequest { Name = d.AtLineManagers, Justified = true }, Expect.Denied),
        new("EscalateChallenge", Referrer, d => new EscalateChallengeRequest { Name = d.ScratchFor("escalate"), Reason = "No agreement." }, Expect.Allowed),
        new("EscalateChallenge", AnotherAgency, d => new EscalateChallengeRequest { Name = d.Name, Reason = "No agreement." }, Expect.Denied),
        new("EscalateChallenge", RaisingLineManager, d => new EscalateChallengeRequest { Name = d.AtSeniorManagers, Reason = "No agreement." }, Expect.Denied),
        new("EscalateChallenge", SocialWorker, d => new EscalateChallengeRequest { Name = d.AtSeniorManagers, Reason = "No agreement." }, Expect.Denied),
        new("ResolveChallenge", Referrer, d => new ResolveChallengeRequest { Name = d.ScratchFor("resolve"), Resolution = Resolution() }, Expect.Allowed),
        new("ResolveChallenge", AnotherAgency, d => new ResolveChallengeRequest { Name = d.Name, Resolution = Resolution() }, Expect.Denied),
        new("ResolveChallenge", Referrer, d => new ResolveChallengeRequest { Name = d.AtSeniorManagers, Resolution = Resolution() }, Expect.Denied),
        new("ResolveChallenge", RaisingSeniorManager, d => new ResolveChallengeRequest { Name = d.AtPartnership, Resolution = Resolution() }, Expect.Denied),
        new("WithdrawChallenge", Referrer, d => new WithdrawChallengeRequest { Name = d.ScratchFor("withdraw"), Reason = "Resolved outside the procedure." }, Expect.Allowed),
        new("WithdrawChallenge", AnotherAgency, d => new WithdrawChallengeRequest { Name = d.Name, Reason = "Resolved outside the procedure." }, Expect.Denied),
        new("WithdrawChallenge", SocialWorker, d => new WithdrawChallengeRequest { Name = d.Name, Reason = "Resolved outside the procedure." }, Expect.Denied),
        new("WithdrawChallenge", RaisingSeniorManager, d => new WithdrawChallengeRequest { Name = d.Name, Reason = "Resolved outside the procedure." }, Expect.Denied),

        // escalation: an escalation is read by DisputeAccess; lists by another agency are the partnership's; the chair,
        // the directory and the timescale policies are changed by the partnership; anyone reads the directory and the policies.
        new("GetEscalation", Referrer, d => new GetEscalationRequest { Name = d.Name + "/escalation" }, Expect.Allowed),
        new("GetEscalation", AnotherAgency, d => new GetEscalationRequest { Name = d.Name + "/escalation" }, Expect.Denied),
        new("GetEscalation", UnappointedChair, d => new GetEscalationRequest { Name = d.Name + "/escalation" }, Expect.Denied),
        new("GetEscalation", ChairsNamesake, d => new GetEscalationRequest { Name = d.AtPartnership + "/escalation" }, Expect.Denied),
        new("GetEscalation", Chair, d => new GetEscalationRequest { Name = d.AtPartnership + "/escalation" }, Expect.Allowed),
        // The record's witness: for the records service, the partnership and support only; a party's professional is refused too.
        new("GetRecordWitness", PartnershipManager, d => new GetRecordWitnessRequest { Name = d.Name + "/recordWitness" }, Expect.Allowed),
        new("GetRecordWitness", AnotherAgency, d => new GetRecordWitnessRequest { Name = d.Name + "/recordWitness" }, Expect.Denied),
        new("GetRecordWitness", Referrer, d => new GetRecordWitnessRequest { Name = d.Name + "/recordWitness" }, Expect.Denied),
        new("ListOverdueEscalations", Referrer, _ => new ListOverdueEscalationsRequest { AgencyId = RaisingAgency }, Expect.Allowed),
        new("ListOverdueEscalations", AnotherAgency, _ => new ListOverdueEscalationsRequest { AgencyId = RaisingAgency }, Expect.Denied),
        new("ListOverdueEscalations", SocialWorker, _ => new ListOverdueEscalationsRequest { AgencyId = RaisingAgency }, Expect.Denied),
        new("ListDueSoonEscalations", Referrer, _ => new ListDueSoonEscalationsRequest { AgencyId = RaisingAgency, WithinWorkingDays = 20 }, Expect.Allowed),
        new("ListDueSoonEscalations", AnotherAgency, _ => new ListDueSoonEscalationsRequest { AgencyId = RaisingAgency, WithinWorkingDays = 20 }, Expect.Denied),
        new("ListDueSoonEscalations", AnotherAgency, _ => new ListDueSoonEscalationsRequest { WithinWorkingDays = 20 }, Expect.Hidden),
        new("ListDueSoonEscalations", SocialWorker, _ => new ListDueSoonEscalationsRequest { AgencyId = RaisingAgency, WithinWorkingDays = 20 }, Expect.Denied),
        new("AppointIndependentChair", PartnershipManager, d => Appoint(d), Expect.Allowed),
        new("AppointIndependentChair", AnotherAgency, d => Appoint(d), Expect.Denied),
        new("AppointIndependentChair", RaisingSeniorManager, d => Appoint(d), Expect.Denied),
        new("CreateAgency", PartnershipManager, _ => NewAgency("directory-created-abuse"), Expect.Allowed),
        new("CreateAgency", AnotherAgency, _ => NewAgency(RaisingAgency + "-2"), Expect.Denied),
        new("CreateAgency", RaisingLineManager, _ => NewAgency(RaisingAgency + "-2"), Expect.Denied),
        new("GetAgency", AnotherAgency, _ => new GetAgencyRequest { Name = $"agencies/{RaisingAgency}" }, Expect.Allowed),
        new("ListAgencies", AnotherAgency, _ => new ListAgenciesRequest { PageSize = 10 }, Expect.Allowed),
        new("UpdateAgency", PartnershipManager, _ => RenameAgency(AbuseSeed.ControlAgency), Expect.Allowed),
        new("UpdateAgency", AnotherAgency, _ => RenameAgency(RaisingAgency), Expect.Denied),
        new("UpdateAgency", RaisingLineManager, _ => RenameAgency(RaisingAgency), Expect.Denied),
        new("RetireAgency", PartnershipManager, _ => new RetireAgencyRequest { Name = $"agencies/{AbuseSeed.RetiredAgency}" }, Expect.Allowed),
        new("RetireAgency", AnotherAgency, _ => new RetireAgencyRequest { Name = $"agencies/{RaisingAgency}" }, Expect.Denied),
        new("RetireAgency", RaisingSeniorManager, _ => new RetireAgencyRequest { Name = $"agencies/{RaisingAgency}" }, Expect.Denied),
        new("CreateProfessional", PartnershipManager, _ => NewProfessional(AbuseSeed.ControlAgency, "dir-created"), Expect.Allowed),
        new("CreateProfessional", AnotherAgency, _ => NewProfessional(RaisingAgency, "pc-999"), Expect.Denied),
        new("CreateProfessional", RaisingLineManager, _ => NewProfessional(RaisingAgency, "pc-999"), Expect.Denied),
        new("GetProfessional", AnotherAgency, _ => new GetProfessionalRequest { Name = ProfessionalName(Referrer) }, Expect.Allowed),
        new("ListProfessionals", AnotherAgency, _ => new ListProfessionalsRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Allowed),
        new("UpdateProfessional", PartnershipManager, _ => RenameProfessional($"agencies/{AbuseSeed.ControlAgency}/professionals/dir-1"), Expect.Allowed),
        new("UpdateProfessional", AnotherAgency, _ => RenameProfessional(ProfessionalName(Referrer)), Expect.Denied),
        new("UpdateProfessional", Referrer, _ => RenameProfessional(ProfessionalName(Referrer)), Expect.Denied),
        new("RetireProfessional", PartnershipManager, _ => new RetireProfessionalRequest { Name = $"agencies/{AbuseSeed.ControlAgency}/professionals/dir-retired" }, Expect.Allowed),
        new("RetireProfessional", AnotherAgency, _ => new RetireProfessionalRequest { Name = ProfessionalName(Referrer) }, Expect.Denied),
        new("RetireProfessional", RaisingLineManager, _ => new RetireProfessionalRequest { Name = ProfessionalName(Referrer) }, Expect.Denied),
        new("CreateTimescalePolicyVersion", PartnershipManager, _ => NewPolicy("timescalePolicies/abuse-control"), Expect.Allowed),
        new("CreateTimescalePolicyVersion", AnotherAgency, _ => NewPolicy("timescalePolicies/default"), Expect.Denied),
        new("CreateTimescalePolicyVersion", RaisingSeniorManager, _ => NewPolicy("timescalePolicies/default"), Expect.Denied),
        new("GetTimescalePolicy", AnotherAgency, _ => new GetTimescalePolicyRequest { Name = "timescalePolicies/default" }, Expect.Allowed),
        new("ListTimescalePolicyVersions", AnotherAgency, _ => new ListTimescalePolicyVersionsRequest { Name = "timescalePolicies/default" }, Expect.Allowed),

        // notification: a dispute's deliveries by DisputeAccess; an agency's deliveries and its watch by its own professionals
        // (the partnership reads all); its webhook subscriptions by its line managers and safeguarding leads.
        new("ListDeliveries", Referrer, d => new ListDeliveriesRequest { Parent = d.Name }, Expect.Allowed),
        new("ListDeliveries", AnotherAgency, d => new ListDeliveriesRequest { Parent = d.Name }, Expect.Denied),
        new("ListDeliveries", UnappointedIro, d => new ListDeliveriesRequest { Parent = d.Name }, Expect.Denied),
        new("ListDeliveries", Chair, d => new ListDeliveriesRequest { Parent = d.AtPartnership }, Expect.Allowed),
        new("ListDeliveries", ChairsNamesake, d => new ListDeliveriesRequest { Parent = d.AtPartnership }, Expect.Denied),
        new("ListDeliveries", Referrer, _ => new ListDeliveriesRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Allowed),
        new("ListDeliveries", AnotherAgency, _ => new ListDeliveriesRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Denied),
        new("ListDeliveries", SocialWorker, _ => new ListDeliveriesRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Denied),
        new("WatchNotifications", Referrer, _ => new WatchNotificationsRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Watching),
        new("WatchNotifications", AnotherAgency, _ => new WatchNotificationsRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Denied),
        new("WatchNotifications", SocialWorker, _ => new WatchNotificationsRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Denied),
        new("CreateWebhookSubscription", RaisingLineManager, _ => AbuseSeed.Webhook(RaisingAgency), Expect.Allowed),
        new("CreateWebhookSubscription", AnotherAgency, _ => AbuseSeed.Webhook(RaisingAgency), Expect.Denied),
        new("CreateWebhookSubscription", Referrer, _ => AbuseSeed.Webhook(RaisingAgency), Expect.Denied),
        new("ListWebhookSubscriptions", RaisingLineManager, _ => new ListWebhookSubscriptionsRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Allowed),
        new("ListWebhookSubscriptions", AnotherAgency, _ => new ListWebhookSubscriptionsRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Denied),
        new("ListWebhookSubscriptions", Referrer, _ => new ListWebhookSubscriptionsRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Denied),
        new("DeleteWebhookSubscription", RaisingLineManager, d => new DeleteWebhookSubscriptionRequest { Name = d.WebhookToDelete }, Expect.Allowed),
        new("DeleteWebhookSubscription", AnotherAgency, d => new DeleteWebhookSubscriptionRequest { Name = d.Webhook }, Expect.Denied),
        new("DeleteWebhookSubscription", Referrer, d => new DeleteWebhookSubscriptionRequest { Name = d.Webhook }, Expect.Denied),
        new("CreateEmailSubscription", RaisingLineManager, _ => AbuseSeed.Email(RaisingAgency), Expect.Allowed),
        new("CreateEmailSubscription", AnotherAgency, _ => AbuseSeed.Email(RaisingAgency), Expect.Denied),
        new("CreateEmailSubscription", Referrer, _ => AbuseSeed.Email(RaisingAgency), Expect.Denied),
        new("ListEmailSubscriptions", RaisingLineManager, _ => new ListEmailSubscriptionsRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Allowed),
        new("ListEmailSubscriptions", AnotherAgency, _ => new ListEmailSubscriptionsRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Denied),
        new("ListEmailSubscriptions", Referrer, _ => new ListEmailSubscriptionsRequest { Parent = $"agencies/{RaisingAgency}" }, Expect.Denied),
        new("DeleteEmailSubscription", RaisingLineManager, d => new DeleteEmailSubscriptionRequest { Name = d.EmailSubscriptionToDelete }, Expect.Allowed),
        new("DeleteEmailSubscription", AnotherAgency, d => new DeleteEmailSubscriptionRequest { Name = d.EmailSubscription }, Expect.Denied),
        new("DeleteEmailSubscription", Referrer, d => new DeleteEmailSubscriptionRequest { Name = d.EmailSubscription }, Expect.Denied),

        // records: a record is read by DisputeAccess; minutes by MinutesRules; recommendations by RecommendationRules;
        // the audit, legal holds, purges and the escalation log are the partnership's.
        new("ListRecordEntries", Referrer, d => new ListRecordEntriesRequest { Parent = d.Name }, Expect.Allowed),
        new("ListRecordEntries", AnotherAgency, d => new ListRecordEntriesRequest { Parent = d.Name }, Expect.Denied),
        new("ListRecordEntries", UnappointedChair, d => new ListRecordEntriesRequest { Parent = d.Name }, Expect.Denied),
        new("ListRecordEntries", ChairsNamesake, d => new ListRecordEntriesRequest { Parent = d.AtPartnership }, Expect.Denied),
        new("ListRecordEntries", Chair, d => new ListRecordEntriesRequest { Parent = d.AtPartnership }, Expect.Allowed),
        new("GetRecordEntry", Referrer, d => new GetRecordEntryRequest { Name = d.RaisedEntry }, Expect.Allowed),
        new("GetRecordEntry", AnotherAgency, d => new GetRecordEntryRequest { Name = d.RaisedEntry }, Expect.Denied),
        new("RecordMinutes", PartnershipManager, d => Minutes(d.AtPartnership), Expect.Allowed),
        new("RecordMinutes", AnotherAgency, d => Minutes(d.AtPartnership), Expect.Denied),
        new("RecordMinutes", Referrer, d => Minutes(d.AtPartnership), Expect.Denied),
        new("RecordMinutes", RaisingLineManager, d => Minutes(d.AtSeniorManagers), Expect.Denied),
        new("RecordMinutes", ChairsNamesake, d => Minutes(d.AtPartnership), Expect.Denied),
        new("ApproveMinutes", Chair, d => new ApproveMinutesRequest { Name = d.Draft }, Expect.Allowed),
        new("ApproveMinutes", AnotherAgency, d => new ApproveMinutesRequest { Name = d.Draft }, Expect.Denied),
        new("ApproveMinutes", RaisingSeniorManager, d => new ApproveMinutesRequest { Name = d.Draft }, Expect.Denied),
        new("ApproveMinutes", ChairsNamesake, d => new ApproveMinutesRequest { Name = d.Draft }, Expect.Denied),
        new("CorrectRecordEntry", Referrer, d => Correction(d.RaisedEntry), Expect.Allowed),
        new("CorrectRecordEntry", AnotherAgency, d => Correction(d.RaisedEntry), Expect.Denied),
        new("CorrectRecordEntry", SocialWorker, d => Correction(d.RaisedEntry), Expect.Denied),
        new("ListAccessAudit", PartnershipManager, d => new ListAccessAuditRequest { Challenge = d.Name }, Expect.Allowed),
        new("ListAccessAudit", AnotherAgency, d => new ListAccessAuditRequest { Challenge = d.Name }, Expect.Denied),
        new("ListAccessAudit", Referrer, d => new ListAccessAuditRequest { Challenge = d.Name }, Expect.Denied),
        new("ExportRecord", Referrer, d => new ExportRecordRequest { Parent = d.Name, Format = ExportFormat.Json }, Expect.Allowed),
        new("ExportRecord", AnotherAgency, d => new ExportRecordRequest { Parent = d.Name, Format = ExportFormat.Json }, Expect.Denied),
        new("CreateRecommendation", PartnershipManager, d => NewRecommendation(d.AtPartnership), Expect.Allowed),
        new("CreateRecommendation", AnotherAgency, d => NewRecommendation(d.AtPartnership), Expect.Denied),
        new("CreateRecommendation", RaisingSeniorManager, d => NewRecommendation(d.AtPartnership), Expect.Denied),
        new("CreateRecommendation", ChairsNamesake, d => NewRecommendation(d.AtPartnership), Expect.Denied),
        new("UpdateRecommendationStatus", SocialWorker, d => MoveOn(d), Expect.Allowed),
        new("UpdateRecommendationStatus", AnotherAgency, d => MoveOn(d), Expect.Denied),
        new("UpdateRecommendationStatus", Referrer, d => MoveOn(d), Expect.Denied),
        new("ListRecommendations", Referrer, d => new ListRecommendationsRequest { Parent = d.AtPartnership }, Expect.Allowed),
        new("ListRecommendations", AnotherAgency, d => new ListRecommendationsRequest { Parent = d.AtPartnership }, Expect.Denied),
        new("ListRecommendations", PartnershipManager, _ => new ListRecommendationsRequest { Parent = "challenges/-" }, Expect.Allowed),
        new("ListRecommendations", AnotherAgency, _ => new ListRecommendationsRequest { Parent = "challenges/-" }, Expect.Denied),
        new("ListRecommendations", SocialWorker, _ => new ListRecommendationsRequest { Parent = "challenges/-" }, Expect.Denied),
        new("SetLegalHold", PartnershipManager, d => Hold(d.Name), Expect.Allowed),
        new("SetLegalHold", AnotherAgency, d => Hold(d.Name), Expect.Denied),
        new("SetLegalHold", RaisingSeniorManager, d => Hold(d.Name), Expect.Denied),
        new("PurgeExpiredRecords", PartnershipManager, _ => new PurgeExpiredRecordsRequest(), Expect.Allowed),
        new("PurgeExpiredRecords", AnotherAgency, _ => new PurgeExpiredRecordsRequest(), Expect.Denied),
        new("PurgeExpiredRecords", RaisingSeniorManager, _ => new PurgeExpiredRecordsRequest(), Expect.Denied),
        new("VerifyRecord", Referrer, d => new VerifyRecordRequest { Parent = d.Name }, Expect.Allowed),
        new("VerifyRecord", AnotherAgency, d => new VerifyRecordRequest { Parent = d.Name }, Expect.Denied),
        new("VerifyRecord", AnotherAgencysManager, d => new VerifyRecordRequest { Parent = d.Name }, Expect.Denied),
        new("GetEscalationReport", PartnershipManager, _ => Report(), Expect.Allowed),
        new("GetEscalationReport", AnotherAgency, _ => Report(), Expect.Denied),
        new("GetEscalationReport", RaisingSeniorManager, _ => Report(), Expect.Denied),
        new("ExportEscalationReport", PartnershipManager, _ => Report(), Expect.Allowed),
        new("ExportEscalationReport", AnotherAgency, _ => Report(), Expect.Denied),
        new("ExportEscalationReport", RaisingSeniorManager, _ => Report(), Expect.Denied),
    ];

    /// <summary>
    /// One generic row per RPC of the four services for a professional of an agency party to
    /// nothing: every string of the request set to the dispute's name. A fuzz on top of the
    /// table; it is not counted as a row of it.
    /// </summary>
    public static TheoryData<AccessCase> EveryRpcByAnotherAgency => new(Rpcs.All.Select(method =>
        new AccessCase(method.Name, AnotherAgency, d => Rpcs.RequestWithStrings(method, d.Name), Expect.Refused)));

    [Fact]
    public void Every_RPC_has_a_row_for_another_agency_a_wrong_role_and_an_allowed_caller()
    {
        var problems = Coverage(Rows().ToList());
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(Rpcs.All.Count >= 46, $"only {Rpcs.All.Count} RPCs found in the descriptors");
    }

    [Fact]
    public void The_coverage_check_fails_when_an_RPC_loses_its_row()
    {
        var rows = Rows().ToList();
        Assert.Contains(Coverage(rows.Where(r => !(r.Rpc == "SetLegalHold" && r.Caller == AnotherAgency)).ToList()),
            p => p.Contains("SetLegalHold", StringComparison.Ordinal) && p.Contains("another agency", StringComparison.Ordinal));
        Assert.Contains(Coverage(rows.Where(r => !(r.Rpc == "ApproveMinutes" && r.Caller.OfPartyAgency)).ToList()),
            p => p.Contains("ApproveMinutes", StringComparison.Ordinal) && p.Contains("wrong role", StringComparison.Ordinal));
        Assert.Contains(Coverage(rows.Where(r => !(r.Rpc == "GetAgency" && r.Expect == Expect.Allowed)).ToList()),
            p => p.Contains("GetAgency", StringComparison.Ordinal) && p.Contains("allowed", StringComparison.Ordinal));
    }

    /// <summary>What the hand-written rows miss: an RPC without a row for another agency, a role-gated RPC without a wrong-role row, an RPC without an allowed control.</summary>
    private static List<string> Coverage(IReadOnlyList<AccessCase> rows)
    {
        var names = Rpcs.All.Select(m => m.Name).ToHashSet();
        var problems = rows.Where(r => !names.Contains(r.Rpc)).Select(r => $"{r}: no such RPC").ToList();
        problems.AddRange(RoleGated.Where(r => !names.Contains(r)).Select(r => $"{r}: role-gated, but no such RPC"));
        foreach (var rpc in names)
        {
            var of = rows.Where(r => r.Rpc == rpc).ToList();
            if (!of.Any(r => r.Caller == AnotherAgency))
                problems.Add($"{rpc}: no row for another agency");
            if (RoleGated.Contains(rpc) && !of.Any(r => r.Caller.OfPartyAgency && r.Expect == Expect.Denied))
                problems.Add($"{rpc}: no wrong role row for a party agency's professional");
            if (!of.Any(r => r.Expect is Expect.Allowed or Expect.Listed or Expect.Watching))
                problems.Add($"{rpc}: no allowed control row");
        }
        return problems;
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
        var method = Rpcs.Named(row.Rpc);
        var request = row.Request(dispute).ToByteArray();
        var deadline = TimeSpan.FromSeconds(row.Expect == Expect.Refused || method.IsServerStreaming ? 1 : 10);
        var outcome = await Rpcs.CallAsync(suite.Gateway, method, request, Headers(row.Caller, "198.51.100.20"), deadline);
        // The suite's low per-professional rate limit: a refused token bucket is not the answer the row is about.
        for (var attempt = 0; outcome.Status == StatusCode.ResourceExhausted && attempt < 10; attempt++)
        {
            await Task.Delay(500);
            outcome = await Rpcs.CallAsync(suite.Gateway, method, request, Headers(row.Caller, "198.51.100.20"), deadline);
        }

        switch (row.Expect)
        {
            case Expect.Allowed:
                Assert.True(outcome.Status == StatusCode.OK, $"{row}: {outcome.Status} {outcome.Detail}");
                break;
            case Expect.Listed:
                Assert.True(outcome.Status == StatusCode.OK, $"{row}: {outcome.Status} {outcome.Detail}");
                Assert.Contains(dispute.Id, outcome.Everything(), StringComparison.Ordinal);
                break;
            case Expect.Watching:
                Assert.True(outcome.Status == StatusCode.DeadlineExceeded, $"{row}: {outcome.Status} {outcome.Detail}");
                break;
            case Expect.Denied:
                Assert.True(outcome.Status == StatusCode.PermissionDenied, $"{row}: {outcome.Status} {outcome.Detail}");
                Assert.Empty(outcome.Messages);
                Assert.DoesNotContain(Narrative, text => outcome.Everything().Contains(text, StringComparison.Ordinal));
                break;
            case Expect.Hidden:
                Assert.True(outcome.Status == StatusCode.OK, $"{row}: {outcome.Status} {outcome.Detail}");
                Assert.DoesNotContain(dispute.Id, outcome.Everything(), StringComparison.Ordinal);
                Assert.DoesNotContain(dispute.AtPartnership["challenges/".Length..], outcome.Everything(), StringComparison.Ordinal);
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
        request.Challenge.ReceivingParty.AgencyId = ReceivingAgency;
        return request;
    }

    private static Discussion Discussion() => new()
    {
        Mode = DiscussionMode.Telephone,
        HeldTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
        Summary = "Discussed by telephone; no agreement.",
        Attendees = { new Party { AgencyId = RaisingAgency, ProfessionalId = Referrer.Professional, Role = "police officer" } },
    };

    private static Resolution Resolution() => new() { Kind = ResolutionKind.AgreedPlanOfAction, Summary = "The case is re-opened for assessment." };

    private static AppointIndependentChairRequest Appoint(SeededDispute d) =>
        new() { Name = d.AtPartnership + "/escalation", Professional = ProfessionalName(Chair) };

    private static string ProfessionalName(Who who) => $"agencies/{who.Agency}/professionals/{who.Professional}";

    private static CreateAgencyRequest NewAgency(string id) => new() { AgencyId = id, Agency = new Agency { DisplayName = id, Kind = AgencyKind.Education } };

    private static UpdateAgencyRequest RenameAgency(string id) => new()
    {
        Agency = new Agency { Name = $"agencies/{id}", DisplayName = "Renamed" },
        UpdateMask = new FieldMask { Paths = { "display_name" } },
    };

    private static CreateProfessionalRequest NewProfessional(string agency, string id) => new()
    {
        Parent = $"agencies/{agency}",
        ProfessionalId = id,
        Professional = new Professional { DisplayName = id, Email = $"{id}@{agency}.example", Roles = { DisputeRoles.Partnership } },
    };

    private static UpdateProfessionalRequest RenameProfessional(string name) => new()
    {
        Professional = new Professional { Name = name, DisplayName = "Renamed", Roles = { DisputeRoles.Partnership } },
        UpdateMask = new FieldMask { Paths = { "display_name", "roles" } },
    };

    private static CreateTimescalePolicyVersionRequest NewPolicy(string name) => new()
    {
        Policy = new TimescalePolicy
        {
            Name = name, AcknowledgementWorkingDays = 0, ProfessionalDiscussionWorkingDays = 1, LineManagersWorkingDays = 1,
            SeniorManagersWorkingDays = 1, PartnershipMeetingWorkingDays = 1,
        },
    };

    private static RecordMinutesRequest Minutes(string challenge) => new()
    {
        Parent = challenge,
        Meeting = new Meeting
        {
            Mode = DiscussionMode.Meeting,
            HeldTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
            Attendees = { new Party { AgencyId = RaisingAgency, ProfessionalId = RaisingSeniorManager.Professional, Role = "senior manager" } },
            Minutes = "The agencies discussed the closure.",
        },
    };

    private static CorrectRecordEntryRequest Correction(string entry) => new()
    {
        Name = entry, Summary = "The raise, as corrected.", Reason = "A typing error in the summary.",
    };

    private static CreateRecommendationRequest NewRecommendation(string challenge) => new()
    {
        Parent = challenge,
        Recommendation = new Recommendation { Text = "Review the guidance.", OwnerAgencyId = ReceivingAgency, DueDate = "2030-06-30" },
    };

    private static UpdateRecommendationStatusRequest MoveOn(SeededDispute d) => new()
    {
        Name = d.Recommendation, Status = RecommendationStatus.InProgress, Evidence = "The review has started.", Etag = d.RecommendationEtag,
    };

    private static SetLegalHoldRequest Hold(string challenge) => new() { Parent = challenge, Hold = true, Reason = "Subject of a serious case review." };

    private static GetEscalationReportRequest Report() => new()
    {
        StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
        EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(1)),
    };

    internal Metadata Headers(Who who, string clientAddress) => new()
    {
        { "authorization", "Bearer " + suite.Token(who.Professional, who.Agency, who.Role) },
        { "x-forwarded-for", clientAddress },
    };

    private static readonly SemaphoreSlim SeedLock = new(1, 1);
    private static (SuiteFixture Suite, SeededDispute Dispute)? _seeded;

    /// <summary>Seeds the disputes once per suite (AbuseSeed), so every row of every class sharing the suite reads the same ones.</summary>
    internal async Task<SeededDispute> SeedAsync()
    {
        await SeedLock.WaitAsync();
        try
        {
            if (_seeded is { } seeded && seeded.Suite == suite)
                return seeded.Dispute;
            var dispute = await new AbuseSeed(suite).SeedAsync();
            _seeded = (suite, dispute);
            return dispute;
        }
        finally
        {
            SeedLock.Release();
        }
    }
}
