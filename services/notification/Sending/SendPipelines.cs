using Disputes.Notification.Channels;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;

namespace Disputes.Notification.Sending;

/// <summary>
/// One Polly pipeline per endpoint: retries with exponential backoff and jitter, a circuit
/// breaker (a failing endpoint is left alone for a while instead of being hammered by every
/// delivery) and a timeout per attempt. A permanent failure is not retried.
/// </summary>
public sealed class SendPipelines(IOptions<NotificationOptions> options, TimeProvider timeProvider)
{
    private readonly ResiliencePipelineRegistry<string> _registry = new();

    public ResiliencePipeline For(string endpoint) => _registry.GetOrAddPipeline(endpoint, builder =>
    {
        var sending = options.Value.Sending;
        var shouldHandle = new PredicateBuilder().Handle<Exception>(ex => !IsPermanent(ex) && ex is not OperationCanceledException);
        builder.TimeProvider = timeProvider;
        builder
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(0, sending.MaxAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = sending.FirstRetryDelay,
                MaxDelay = sending.MaxRetryDelay,
                ShouldHandle = shouldHandle,
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = sending.BreakerFailureRatio,
                MinimumThroughput = Math.Max(2, sending.BreakerMinimumThroughput),
                SamplingDuration = sending.BreakerSamplingDuration,
                BreakDuration = sending.BreakDuration,
                ShouldHandle = shouldHandle,
            })
            .AddTimeout(sending.AttemptTimeout);
    });

    public static bool IsPermanent(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is PermanentDeliveryException)
                return true;
        }
        return false;
    }
}
