using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using Dapr.Workflow.Worker;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Missions;

/// <summary>
/// Reads a registration written against Dapr.Workflow's <see cref="WorkflowRuntimeOptions"/> (the form
/// <see cref="MissionsModule.RegisterWorkflows"/> is written in) into Dapr-free <see cref="WorkflowRegistration"/>s,
/// which each runtime registers its own way. A module can also call <see cref="Extensions.AddWorkflow{TWorkflow}"/>
/// directly; this keeps the registration code in the Dapr SDK's own vocabulary.
/// </summary>
internal static class DaprWorkflowRegistrations
{
    /// <summary>Registers the workflow and activity classes <paramref name="register"/> names, each workflow with all its activities.</summary>
    public static IServiceCollection AddWorkflowRegistrations(this IServiceCollection services, Action<WorkflowRuntimeOptions> register)
    {
        ArgumentNullException.ThrowIfNull(register);
        var options = new WorkflowRuntimeOptions();
        register(options);
        var recorder = new Recorder();
        options.ApplyRegistrations(recorder);
        IReadOnlyList<Type> activities = [.. recorder.Activities];
        foreach (var workflow in recorder.Workflows)
        {
            services.AddSingleton(new WorkflowRegistration(workflow, activities));
        }

        return services;
    }

    /// <summary>Collects the registered classes; it creates nothing (the runtimes do).</summary>
    private sealed class Recorder : IWorkflowsFactory
    {
        public List<Type> Workflows { get; } = [];

        public List<Type> Activities { get; } = [];

        public void RegisterWorkflow<TWorkflow>(string? name = null)
            where TWorkflow : class, IWorkflow =>
            Workflows.Add(ByTypeName<TWorkflow>(name));

        public void RegisterActivity<TActivity>(string? name = null)
            where TActivity : class, IWorkflowActivity =>
            Activities.Add(ByTypeName<TActivity>(name));

        public void RegisterWorkflow<TInput, TOutput>(string name, Func<WorkflowContext, TInput, Task<TOutput>> implementation) =>
            throw FunctionsNotSupported(name);

        public void RegisterActivity<TInput, TOutput>(string name, Func<WorkflowActivityContext, TInput, Task<TOutput>> implementation) =>
            throw FunctionsNotSupported(name);

        public bool TryCreateWorkflow(TaskIdentifier identifier, IServiceProvider serviceProvider, out IWorkflow? workflow, out Exception? activationException)
        {
            workflow = null;
            activationException = null;
            return false;
        }

        public bool TryCreateActivity(TaskIdentifier identifier, IServiceProvider serviceProvider, out IWorkflowActivity? activity, out Exception? activationException)
        {
            activity = null;
            activationException = null;
            return false;
        }

        private static Type ByTypeName<T>(string? name) =>
            name is null || name == typeof(T).Name
                ? typeof(T)
                : throw new NotSupportedException($"{typeof(T).Name} is registered as '{name}': both runtimes name workflows and activities after their class.");

        private static NotSupportedException FunctionsNotSupported(string name) =>
            new($"'{name}' is a function: both runtimes host workflow and activity classes only.");
    }
}
