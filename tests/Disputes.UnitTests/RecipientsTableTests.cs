using Disputes.Notification.Domain;
using Disputes.V1;

namespace Disputes.UnitTests;

public class RecipientsTableTests
{
    [Fact]
    public void A_raised_challenge_tells_the_referrer_it_was_received_and_the_receiver_it_awaits_them()
    {
        var notices = RecipientsTable.For(TestEvents.Raised());

        Assert.Collection(notices,
            referrer =>
            {
                Assert.Equal(RecipientRole.Referrer, referrer.Role);
                Assert.Equal("pc-101", referrer.Recipient.ProfessionalId);
                Assert.Equal(RecipientsTable.ChallengeReceived, referrer.Name);
            },
            receiver =>
            {
                Assert.Equal(RecipientRole.ReceivingProfessional, receiver.Role);
                Assert.Equal("sw-7", receiver.Recipient.ProfessionalId);
                Assert.Equal(RecipientsTable.ChallengeToAcknowledge, receiver.Name);
            });
    }

    [Fact]
    public void Notices_never_carry_the_child_reference() =>
        Assert.All(RecipientsTable.For(TestEvents.Raised()), n => Assert.DoesNotContain("child-ref-42", n.Message));
}
