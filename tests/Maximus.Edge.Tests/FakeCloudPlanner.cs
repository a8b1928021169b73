using System.Text.Json;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;

namespace Maximus.Edge.Tests;

/// <summary>
/// A fake of the cloud planner as the edge node reaches it by service invocation (there is no cloud here): requests
/// to <see cref="AppId"/> are answered as the cloud's LLM planner would (one candidate, planner <c>llm</c>), or, while
/// <see cref="Down"/>, fail as daprd does when it cannot reach the other sidecar (500, "fail to invoke"). Every other
/// app id goes to the host's own invoker.
/// </summary>
public sealed class FakeCloudPlanner : IServiceInvoker
{
    public const string AppId = "planner.maximus";

    private int _calls;

    public IServiceInvoker? Inner { get; set; }

    public bool Down { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public List<string> Methods { get; } = [];

    public Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default)
    {
        if (appId != AppId)
        {
            return Local().InvokeAsync<TRequest, TResponse>(appId, method, request, cancellationToken);
        }

        Interlocked.Increment(ref _calls);
        lock (Methods)
        {
            Methods.Add(method);
        }

        if (Down)
        {
            throw new InvocationException(appId, method, 500, "Internal Server Error", "fail to invoke, id: planner.maximus, err: connection refused");
        }

        // Over the wire as over Dapr: JSON both ways.
        var planning = JsonSerializer.Deserialize<PlanningRequest>(JsonSerializer.SerializeToUtf8Bytes(request, MaximusJson.Options), MaximusJson.Options)!;
        var first = planning.Actions[0];
        var step = new PlanStep(first.Name, first.Parameters.Select(p => new StepArgument(p.Name, planning.State.Objects[0].Name)).ToList());
        var response = new PlanningResponse([new CandidatePlan([step], "llm")], null, 0, 1);
        return Task.FromResult(JsonSerializer.Deserialize<TResponse>(JsonSerializer.SerializeToUtf8Bytes(response, MaximusJson.Options), MaximusJson.Options)!);
    }

    public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        Local().GetAsync<TResponse>(appId, method, cancellationToken);

    private IServiceInvoker Local() => Inner ?? throw new InvalidOperationException("The host's own invoker is not set.");
}
