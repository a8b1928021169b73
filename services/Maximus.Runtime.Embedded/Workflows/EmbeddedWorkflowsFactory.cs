using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using Dapr.Workflow.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Runtime.Embedded.Workflows;

/// <summary>
/// Holds the workflow and activity registrations made through Dapr's <see cref="WorkflowRuntimeOptions"/>
/// (the same registration code the Dapr runtime uses) and creates instances from DI.
/// </summary>
public sealed class EmbeddedWorkflowsFactory : IWorkflowsFactory
{
    private readonly Dictionary<string, Func<IServiceProvider, IWorkflow>> _workflows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<IServiceProvider, IWorkflowActivity>> _activities = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> WorkflowNames => _workflows.Keys;

    public IReadOnlyCollection<string> ActivityNames => _activities.Keys;

    public void RegisterWorkflow<TWorkflow>(string? name = null)
        where TWorkflow : class, IWorkflow =>
        _workflows[name ?? typeof(TWorkflow).Name] = sp => ActivatorUtilities.CreateInstance<TWorkflow>(sp);

    public void RegisterWorkflow<TInput, TOutput>(string name, Func<WorkflowContext, TInput, Task<TOutput>> implementation) =>
        _workflows[name] = _ => new FunctionWorkflow<TInput, TOutput>(implementation);

    public void RegisterActivity<TActivity>(string? name = null)
        where TActivity : class, IWorkflowActivity =>
        _activities[name ?? typeof(TActivity).Name] = sp => ActivatorUtilities.CreateInstance<TActivity>(sp);

    public void RegisterActivity<TInput, TOutput>(string name, Func<WorkflowActivityContext, TInput, Task<TOutput>> implementation) =>
        _activities[name] = _ => new FunctionActivity<TInput, TOutput>(implementation);

    public bool TryCreateWorkflow(TaskIdentifier identifier, IServiceProvider serviceProvider, out IWorkflow? workflow, out Exception? activationException)
    {
        workflow = null;
        activationException = null;
        if (!_workflows.TryGetValue(identifier.Name, out var create))
        {
            return false;
        }

        try
        {
            workflow = create(serviceProvider);
            return true;
        }
        catch (Exception ex)
        {
            activationException = ex;
            return false;
        }
    }

    public bool TryCreateActivity(TaskIdentifier identifier, IServiceProvider serviceProvider, out IWorkflowActivity? activity, out Exception? activationException)
    {
        activity = null;
        activationException = null;
        if (!_activities.TryGetValue(identifier.Name, out var create))
        {
            return false;
        }

        try
        {
            activity = create(serviceProvider);
            return true;
        }
        catch (Exception ex)
        {
            activationException = ex;
            return false;
        }
    }

    private sealed class FunctionWorkflow<TInput, TOutput> : IWorkflow
    {
        private readonly Func<WorkflowContext, TInput, Task<TOutput>> _run;

        public FunctionWorkflow(Func<WorkflowContext, TInput, Task<TOutput>> run) => _run = run;

        public Type InputType => typeof(TInput);

        public Type OutputType => typeof(TOutput);

        public async Task<object?> RunAsync(WorkflowContext context, object? input) => await _run(context, (TInput)input!).ConfigureAwait(false);
    }

    private sealed class FunctionActivity<TInput, TOutput>(Func<WorkflowActivityContext, TInput, Task<TOutput>> run) : WorkflowActivity<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(WorkflowActivityContext context, TInput input) => run(context, input);
    }
}
