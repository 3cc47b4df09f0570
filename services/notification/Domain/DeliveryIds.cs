using System.Security.Cryptography;
using System.Text;
using Disputes.V1;

namespace Disputes.Notification.Domain;

/// <summary>
/// One delivery id per (event, notice, recipient, channel and destination): the same on every
/// redelivery of the event and after a restart, so a delivery is written and sent once in
/// effect, and a receiver can drop a repeat by its id.
/// </summary>
public static class DeliveryIds
{
    public static string For(string eventId, Notice notice, Channel channel, string destination)
    {
        var key = string.Join('\n', eventId, notice.Name, notice.Recipient.AgencyId, notice.Recipient.ProfessionalId, (int)channel, destination);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 13));
    }
}
