using System.ClientModel;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Maximus.Llm.Pipeline;

/// <summary>
/// Polly around the provider: each attempt is bounded by its mode's latency budget; 429 is retried after the delay the
/// server asked for (RetryInfo or Retry-After), 5xx and network errors with exponential backoff and jitter; a circuit
/// breaker stops calling a failing provider for a while. A timeout is not retried (it would break the budget).
/// Streams are retried only until their first update arrives. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class ResilientChatClient : DelegatingChatClient
{
    private static readonly ResiliencePropertyKey<TimeSpan> BudgetKey = new("maximus.llm.latencyBudget");

    private readonly LlmOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;

    public ResilientChatClient(IChatClient inner, LlmOptions options, TimeProvider time, ILogger<ResilientChatClient> logger)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _logger = logger;

        // One pipeline, so one circuit for answers and streams: a provider that fails, fails for both.
        var r = options.Resilience;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(Retry(r))
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = r.BreakerFailureRatio,
                MinimumThroughput = r.BreakerMinimumThroughput,
                SamplingDuration = r.BreakerSamplingDuration,
                BreakDuration = r.BreakerBreakDuration,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is TimeoutRejectedException || IsTransient(args.Outcome.Exception)),
                OnOpened = args =>
                {
                    LogCircuitOpened(_logger, args.BreakDuration.TotalSeconds, args.Outcome.Exception?.Message ?? "");
                    return default;
                },
            })
            .AddTimeout(new TimeoutStrategyOptions
            {
                // A stream's start gets no per-attempt timeout here: its whole run is bounded by its own deadline.
                TimeoutGenerator = args => ValueTask.FromResult(args.Context.Properties.GetValue(BudgetKey, Timeout.InfiniteTimeSpan)),
            })
            .Build();
    }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var mode = Mode(options);
        var budget = _options.LatencyBudget(mode);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(BudgetKey, budget);
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (ctx, state) => await state.Self.InnerClient.GetResponseAsync(state.List, state.Options, ctx.CancellationToken).ConfigureAwait(false),
                context,
                (Self: this, List: list, Options: options)).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new LlmTimeoutException(mode, budget, ex);
        }
        catch (BrokenCircuitException ex)
        {
            throw new LlmUnavailableException(ex.RetryAfter, ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var mode = Mode(options);
        var budget = _options.LatencyBudget(mode);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var timer = _time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), deadline, budget, Timeout.InfiniteTimeSpan);
        bool TimedOut() => deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested;

        IAsyncEnumerator<ChatResponseUpdate> stream;
        bool more;
        var context = ResilienceContextPool.Shared.Get(deadline.Token);
        try
        {
            (stream, more) = await _pipeline.ExecuteAsync(
                static async (_, state) =>
                {
                    var e = state.Self.InnerClient.GetStreamingResponseAsync(state.List, state.Options, state.Token).GetAsyncEnumerator(state.Token);
                    try
                    {
                        return (e, await e.MoveNextAsync().ConfigureAwait(false));
                    }
                    catch
                    {
                        await e.DisposeAsync().ConfigureAwait(false);
                        throw;
                    }
                },
                context,
                (Self: this, List: list, Options: options, Token: deadline.Token)).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (TimedOut())
        {
            throw new LlmTimeoutException(mode, budget, ex);
        }
        catch (BrokenCircuitException ex)
        {
            throw new LlmUnavailableException(ex.RetryAfter, ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        await using (stream.ConfigureAwait(false))
        {
            while (more)
            {
                yield return stream.Current;
                try
                {
                    more = await stream.MoveNextAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (TimedOut())
                {
                    throw new LlmTimeoutException(mode, budget, ex);
                }
            }
        }
    }

    private static ThinkingMode Mode(ChatOptions? options) =>
        options.GetThinkingMode() is { } mode && mode != ThinkingMode.Adaptive ? mode : ThinkingMode.Normal;

    private RetryStrategyOptions Retry(LlmResilienceOptions r) => new()
    {
        MaxRetryAttempts = Math.Max(1, r.MaxRetries),
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = r.BaseDelay,
        MaxDelay = r.MaxRetryDelay,
        ShouldHandle = args => ValueTask.FromResult(
            r.MaxRetries > 0 && IsTransient(args.Outcome.Exception) && !(ServerDelay(args.Outcome.Exception) > r.MaxRetryDelay)),
        // The server's delay when it gave one (429 RetryInfo / Retry-After), else backoff with jitter.
        DelayGenerator = args => ValueTask.FromResult(ServerDelay(args.Outcome.Exception)),
        OnRetry = args =>
        {
            LogRetry(_logger, args.AttemptNumber + 1, args.RetryDelay.TotalSeconds, args.Outcome.Exception?.Message ?? "");
            return default;
        },
    };

    /// <summary>429, 408, 5xx and network failures are worth another attempt; 400/401/403/404 are not.</summary>
    internal static bool IsTransient(Exception? exception) => exception switch
    {
        LlmApiException api => api.IsTransient,
        ClientResultException client => client.Status is 429 or 408 or >= 500 or 0,
        HttpRequestException http => http.StatusCode is not { } status || (int)status is 429 or 408 or >= 500,
        _ => false,
    };

    internal static TimeSpan? ServerDelay(Exception? exception) => exception switch
    {
        LlmApiException { RetryAfter: { } delay } => delay,
        ClientResultException client when client.GetRawResponse()?.Headers.TryGetValue("Retry-After", out var value) == true
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) => TimeSpan.FromSeconds(seconds),
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "LLM request failed; retry {Retry} in {DelaySeconds:0.###} s: {Error}")]
    private static partial void LogRetry(ILogger logger, int retry, double delaySeconds, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "LLM circuit opened for {Seconds} s after repeated failures: {Error}")]
    private static partial void LogCircuitOpened(ILogger logger, double seconds, string error);
}
