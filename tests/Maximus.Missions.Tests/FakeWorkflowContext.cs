using System.Text.Json;
using Dapr.Workflow;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maximus.Missions.Tests;

/// <summary>
/// A scripted <see cref="WorkflowContext"/> for unit tests: each activity name maps to a function of its input.
/// Inputs and outputs go through JSON as on a real runtime, and every call is recorded in order.
/// </summary>
internal sealed class FakeWorkflowContext(string instanceId = "mission-1") : WorkflowContext
{
    private readonly Dictionary<string, Func<JsonElement, object>> _activities = new(StringComparer.Ordinal);

    public List<(string Name, JsonElement Input)> Calls { get; } = [];

    public List<object?> CustomStatuses { get; } = [];

    public override string Name => "MissionWorkflow";

    public override string InstanceId => instanceId;

    public override DateTime CurrentUtcDateTime { get; } = new(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);

    public override bool IsReplaying => false;

    public FakeWorkflowContext On<TInput>(string activity, Func<TInput, object> answer)
    {
        _activities[activity] = input => answer(input.Deserialize<TInput>(MaximusJson.Options)!);
        return this;
    }

    public IEnumerable<T> InputsOf<T>(string activity) =>
        Calls.Where(c => c.Name == activity).Select(c => c.Input.Deserialize<T>(MaximusJson.Options)!);

    public override Task<T> CallActivityAsync<T>(string name, object? input = null, WorkflowTaskOptions? options = null)
    {
        var json = JsonSerializer.SerializeToElement(input, input?.GetType() ?? typeof(object), MaximusJson.Options);
        Calls.Add((name, json));
        if (!_activities.TryGetValue(name, out var answer))
        {
            throw new InvalidOperationException($"The test scripted no answer for activity {name}.");
        }

        var output = answer(json);
        return Task.FromResult(JsonSerializer.SerializeToElement(output, output.GetType(), MaximusJson.Options).Deserialize<T>(MaximusJson.Options)!);
    }

    public override void SetCustomStatus(object? customStatus) => CustomStatuses.Add(customStatus);

    public override bool IsPatched(string patchName) => true;

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => Task.CompletedTask;

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("The mission workflow waits for no event in these tests.");

    public override void SendEvent(string instanceId, string eventName, object payload)
    {
    }

    public override Task<TResult> CallChildWorkflowAsync<TResult>(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) =>
        throw new InvalidOperationException("The mission workflow calls no child workflow.");

    public override ILogger CreateReplaySafeLogger(string categoryName) => NullLogger.Instance;

    public override ILogger CreateReplaySafeLogger(Type type) => NullLogger.Instance;

    public override ILogger<T> CreateReplaySafeLogger<T>() => NullLogger<T>.Instance;

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true)
    {
    }

    public override Guid NewGuid() => Guid.NewGuid();

    public override PropagatedHistory GetPropagatedHistory() => new([]);
}
