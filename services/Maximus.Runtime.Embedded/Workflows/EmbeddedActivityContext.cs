using Dapr.Workflow;
using Dapr.Workflow.Abstractions;

namespace Maximus.Runtime.Embedded.Workflows;

internal sealed class EmbeddedActivityContext(string name, string instanceId, int generation, int seq) : WorkflowActivityContext
{
    public override TaskIdentifier Identifier { get; } = new(name);

    /// <summary>Stable across retries and resumes of the same task: usable as an idempotency key.</summary>
    public override string TaskExecutionKey { get; } = $"{instanceId}/{generation}/{seq}";

    public override int ScheduledEventId => seq;

    public override string InstanceId => instanceId;
}
