using System.Reflection;
using Dapr.Actors.Runtime;
using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using Maximus.ServiceDefaults;

namespace Maximus.Runtime.Dapr;

/// <summary>
/// Turns the modules' registrations (types and names, no Dapr type: <see cref="ActorTypeRegistration"/>,
/// <see cref="WorkflowRegistration"/>) into Dapr's generic <c>RegisterActor&lt;T&gt;</c>, <c>RegisterWorkflow&lt;T&gt;</c>
/// and <c>RegisterActivity&lt;T&gt;</c>.
/// </summary>
internal static class DaprRegistrations
{
    public static void RegisterActor(ActorRuntimeOptions options, ActorTypeRegistration registration)
    {
        Require(registration.ActorType, typeof(Actor), "an actor class (Dapr.Actors.Runtime.Actor)");
        Invoke(nameof(ActorOf), registration.ActorType, options, registration.ActorTypeName);
    }

    /// <summary>Registers every workflow once and every activity once, however many workflows call it.</summary>
    public static void RegisterWorkflows(WorkflowRuntimeOptions options, IEnumerable<WorkflowRegistration> registrations)
    {
        var all = registrations.ToList();
        foreach (var workflow in all.Select(r => r.Workflow).Distinct())
        {
            Require(workflow, typeof(IWorkflow), "a workflow class (Dapr.Workflow.Workflow<TInput, TOutput>)");
            Invoke(nameof(WorkflowOf), workflow, options);
        }

        foreach (var activity in all.SelectMany(r => r.Activities).Distinct())
        {
            Require(activity, typeof(IWorkflowActivity), "an activity class (Dapr.Workflow.WorkflowActivity<TInput, TOutput>)");
            Invoke(nameof(ActivityOf), activity, options);
        }
    }

    private static void ActorOf<TActor>(ActorRuntimeOptions options, string actorTypeName)
        where TActor : Actor =>
        options.Actors.RegisterActor<TActor>(actorTypeName);

    private static void WorkflowOf<TWorkflow>(WorkflowRuntimeOptions options)
        where TWorkflow : class, IWorkflow =>
        options.RegisterWorkflow<TWorkflow>();

    private static void ActivityOf<TActivity>(WorkflowRuntimeOptions options)
        where TActivity : class, IWorkflowActivity =>
        options.RegisterActivity<TActivity>();

    private static void Require(Type type, Type baseType, string what)
    {
        if (!baseType.IsAssignableFrom(type) || type.IsAbstract)
        {
            throw new InvalidOperationException($"{type.FullName} is registered as {what} but is not one.");
        }
    }

    private static void Invoke(string method, Type type, params object[] arguments) =>
        typeof(DaprRegistrations).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(type)
            .Invoke(null, BindingFlags.DoNotWrapExceptions, null, arguments, null);
}
