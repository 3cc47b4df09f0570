using System.Diagnostics;
using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.IntegrationTests;

/// <summary>The events of one dispute along the procedure's full path, each with its own event id and trace.</summary>
public sealed class DisputeStory
{
    public static readonly Party Referrer = new() { AgencyId = "police", ProfessionalId = "pc-101", Role = "police officer" };
    public static readonly Party Receiver = new() { AgencyId = "childrens-social-care", ProfessionalId = "sw-7", Role = "social worker" };
    public static readonly Party Chair = new() { AgencyId = "health", ProfessionalId = "chair-1", Role = "independent chair" };
    public static readonly Party PartnershipContact = new() { AgencyId = "partnership", ProfessionalId = "scp-1", Role = "partnership manager" };

    public DisputeStory(string challengeId, DateTimeOffset start)
    {
        ChallengeId = challengeId;
        var name = $"challenges/{challengeId}";
        var at = start;
        Timestamp Next() => Timestamp.FromDateTimeOffset(at = at.AddHours(1));
        var raised = TestEvents.Raised();
        raised.Challenge = name;
        raised.OccurTime = Next();
        raised.Child = new ChildReference { Reference = "child-ref-42", LookedAfter = true, LocalAuthorityId = "childrens-social-care" };
        Add(raised);
        Add(new ResponsiblePartiesRouted { Challenge = name, Version = 1, ChallengeVersion = 1, OccurTime = Next(), Stage = Stage.ProfessionalDiscussion,
            ResponsibleParties = { new ResponsibleParty { Party = Referrer, Responsibility = Responsibility.Referrer } } });
        Add(new ChallengeAcknowledged { Challenge = name, Version = 2, OccurTime = Next(), Actor = Receiver, Note = "Received." });
        Add(new NotificationDelivered { Challenge = name, Version = 1, OccurTime = Next(), Delivery = $"{name}/deliveries/01JD0000000000000000000001",
            Recipient = Referrer, RecipientRole = RecipientRole.Referrer, Channel = Channel.Log, Notice = "challenge-acknowledged", Status = DeliveryStatus.Delivered, Attempts = 1 });
        Add(new NotificationDelivered { Challenge = name, Version = 1, OccurTime = Next(), Delivery = $"{name}/deliveries/01JD0000000000000000000002",
            Recipient = Receiver, RecipientRole = RecipientRole.ReceivingProfessional, Channel = Channel.Log, Notice = "challenge-received", Status = DeliveryStatus.Delivered, Attempts = 1 });
        Add(new DiscussionRecorded { Challenge = name, Version = 3, OccurTime = Next(), Actor = Referrer, Stage = Stage.ProfessionalDiscussion,
            Mode = DiscussionMode.Telephone, HeldTime = Next(), Attendees = { Referrer, Receiver }, Summary = "No agreement on re-opening the case." });
        Add(new ChallengeEscalated { Challenge = name, Version = 4, OccurTime = Next(), Actor = Referrer, FromStage = Stage.ProfessionalDiscussion, ToStage = Stage.LineManagers, Reason = "No agreement." });
        Add(new ResponsiblePartiesRouted { Challenge = name, Version = 2, ChallengeVersion = 4, OccurTime = Next(), Stage = Stage.LineManagers, IndependentReviewingOfficerRequired = true,
            ResponsibleParties = { new ResponsibleParty { Party = Referrer, Responsibility = Responsibility.Referrer } } });
        Add(new ChallengeReviewed { Challenge = name, Version = 5, OccurTime = Next(), Actor = Referrer, Justified = true, Reasons = "The school's report stands.", State = ChallengeState.InDiscussion });
        Add(new ChallengeEscalated { Challenge = name, Version = 6, OccurTime = Next(), Actor = Referrer, FromStage = Stage.LineManagers, ToStage = Stage.SeniorManagers, ManagementTier = 1, Reason = "Managers disagree." });
        Add(new TimescaleMissed { Challenge = name, Version = 3, OccurTime = Next(), Stage = Stage.SeniorManagers, ManagementTier = 1, Timescale = "stage", DueTime = Next() });
        Add(new ChallengeEscalated { Challenge = name, Version = 7, OccurTime = Next(), FromStage = Stage.SeniorManagers, FromManagementTier = 1, ToStage = Stage.SeniorManagers, ManagementTier = 2, Automatic = true });
        Add(new ChallengeEscalated { Challenge = name, Version = 8, OccurTime = Next(), Actor = Referrer, FromStage = Stage.SeniorManagers, FromManagementTier = 2, ToStage = Stage.SafeguardingPartnership, Reason = "Still no agreement." });
        Add(new IndependentChairAppointed { Challenge = name, Version = 4, OccurTime = Next(), Chair = Chair, AppointedBy = PartnershipContact });
    }

    public string ChallengeId { get; }

    public List<(IMessage Event, EventContext Context)> Events { get; } = [];

    /// <summary>How many entries the story makes (the delivery to the receiving professional makes none).</summary>
    public int EntryCount => Events.Count - 1;

    public ChallengeResolved Resolved(long version = 9) => new()
    {
        Challenge = $"challenges/{ChallengeId}",
        Version = version,
        OccurTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        Actor = Chair,
        Stage = Stage.SafeguardingPartnership,
        Resolution = new Resolution { Kind = ResolutionKind.PartnershipRecommendations, Summary = "Case re-opened; procedures reviewed." },
    };

    public static EventContext ContextFor(IMessage @event, string? challengeId = null)
    {
        var traceparent = $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
        return new EventContext(Guid.NewGuid().ToString("N"), "test", DateTimeOffset.UtcNow, traceparent, challengeId ?? IntegrationEvents.DisputeIdOf(@event));
    }

    private void Add(IMessage @event) => Events.Add((@event, ContextFor(@event)));
}
