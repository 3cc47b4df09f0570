using Disputes.V1;

namespace Disputes.Notification.Channels;

/// <summary>A channel that sends outside the suite (webhooks, email): one attempt at a time, retried by the sender's pipeline.</summary>
public interface IDeliveryChannel
{
    Channel Channel { get; }

    /// <summary>What one attempt needs, or null when the delivery can never be sent (its subscription was removed).</summary>
    Task<PreparedSend?> PrepareAsync(Delivery delivery, CancellationToken cancellationToken);
}

/// <summary>One delivery ready to send: the endpoint (its circuit breaker's key) and one attempt.</summary>
public sealed record PreparedSend(string Endpoint, Func<CancellationToken, ValueTask> SendOnceAsync);

/// <summary>An attempt that retrying cannot mend (the address is refused, the receiver said the endpoint is gone).</summary>
public sealed class PermanentDeliveryException(string message, Exception? inner = null) : Exception(message, inner);
