using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using Dapr.Workflow.Worker;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Runtime.Embedded.Workflows;

/// <summary>
/// Holds the modules' workflow and activity classes (<see cref="WorkflowRegistration"/>, the registrations the Dapr
/// runtime registers with Dapr.Workflow) under their type names, as Dapr names them, and creates instances from DI.
/// </summary>
public sealed class EmbeddedWorkflowsFactory : IWorkflowsFactory
{
    private readonly Dictionary<string, Func<IServiceProvider, IWorkflow>> _workflows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<IServiceProvider, IWorkflowActivity>> _activities = new(StringComparer.Ordinal);

    public EmbeddedWorkflowsFactory(IEnumerable<WorkflowRegistration> registrations)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        foreach (var registration in registrations)
        {
            Add(registration);
        }
    }

    /// <summary>Adds a workflow class and its activity classes (an activity shared by several workflows is added once).</summary>
    public void Add(WorkflowRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        _workflows[Require<IWorkflow>(registration.Workflow, "a workflow class (Dapr.Workflow.Workflow<TInput, TOutput>)").Name] =
            sp => (IWorkflow)ActivatorUtilities.CreateInstance(sp, registration.Workflow);
        foreach (var activity in registration.Activities)
        {
            _activities[Require<IWorkflowActivity>(activity, "an activity class (Dapr.Workflow.WorkflowActivity<TInput, TOutput>)").Name] =
                sp => (IWorkflowActivity)ActivatorUtilities.CreateInstance(sp, activity);
        }
    }

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

    private static Type Require<TBase>(Type type, string what) =>
        typeof(TBase).IsAssignableFrom(type) && !type.IsAbstract
            ? type
            : throw new InvalidOperationException($"{type.FullName} is registered as {what} but is not one.");

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
