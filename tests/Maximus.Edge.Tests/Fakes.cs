using Maximus.Contracts.Ports;

namespace Maximus.Edge.Tests;

/// <summary>A planning-like request: the edge answers small problems fast; big ones need the cloud.</summary>
public sealed record PlanRequest(int Id, int Size);

public sealed record PlanResponse(int Id, string AnsweredBy);

/// <summary>
/// Local capability: problems up to <see cref="MaxSize"/> objects, estimated at <c>Size</c> milliseconds
/// (so with a 10 ms budget, sizes 1–10 stay on the edge); nothing above <see cref="MaxSize"/>.
/// </summary>
public sealed class SizeCapability(int maxSize = 40) : IEdgeCapability<PlanRequest, PlanResponse>
{
    private int _handled;

    public int MaxSize { get; } = maxSize;

    public int Handled => Volatile.Read(ref _handled);

    public Func<PlanRequest, Task>? OnHandle { get; set; }

    public TimeSpan? EstimateLatency(PlanRequest request) =>
        request.Size <= MaxSize ? TimeSpan.FromMilliseconds(request.Size) : null;

    public async Task<PlanResponse> HandleAsync(PlanRequest request, CancellationToken cancellationToken)
    {
        if (OnHandle is not null)
        {
            await OnHandle(request).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _handled);
        return new PlanResponse(request.Id, "edge");
    }
}

/// <summary>The cloud app behind <see cref="IServiceInvoker"/>: healthy, down (503), hanging, or failing with a status.</summary>
public sealed class FakeCloud : IServiceInvoker
{
    private int _calls;

    public CloudBehaviour Behaviour { get; set; } = CloudBehaviour.Healthy;

    public int Status { get; set; } = 503;

    public string? Detail { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public List<(string AppId, string Method)> Targets { get; } = [];

    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        lock (Targets)
        {
            Targets.Add((appId, method));
        }

        switch (Behaviour)
        {
            case CloudBehaviour.Unreachable:
                throw new InvocationException(appId, method, 503, "Unreachable", "The Dapr sidecar could not be reached.");
            case CloudBehaviour.Failing:
                throw new InvocationException(appId, method, Status, "Error", Detail);
            case CloudBehaviour.Hanging:
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                break;
            case CloudBehaviour.IgnoresCancellation:
                await Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
                break;
        }

        var plan = request as PlanRequest ?? throw new InvalidOperationException("unexpected request");
        return (TResponse)(object)new PlanResponse(plan.Id, "cloud");
    }

    public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The edge router only POSTs.");
}

public enum CloudBehaviour
{
    Healthy,
    Unreachable,
    Failing,
    Hanging,
    IgnoresCancellation,
}

/// <summary>A clock the test moves by hand (timers still run on the system clock).</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now = _now.Add(by);
}
