using Dapr.Actors;
using Dapr.Actors.Runtime;
using Maximus.Runtime.Dapr;
using Maximus.Runtime.Embedded.Workflows;
using Maximus.Runtime.Tests.Workflows;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Maximus.Runtime.Tests.Registrations;

/// <summary>The modules register actor and workflow classes by type (no Dapr type in ServiceDefaults); each runtime turns them into its own registrations.</summary>
public sealed class RegistrationTests
{
    [Fact]
    public void The_dapr_runtime_registers_an_actor_class_under_its_type_name()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddActorType<CounterActor>();
        services.AddDaprRuntime();
        using var provider = services.BuildServiceProvider();

        var actors = provider.GetRequiredService<IOptions<ActorRuntimeOptions>>().Value.Actors;

        var registration = Assert.Single(actors);
        Assert.Equal(nameof(CounterActor), registration.Type.ActorTypeName);
        Assert.Equal(typeof(CounterActor), registration.Type.ImplementationType);
    }

    [Fact]
    public void The_dapr_runtime_refuses_a_class_that_is_not_an_actor()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddActorType<NotAnActor>();
        services.AddDaprRuntime();
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptions<ActorRuntimeOptions>>().Value);

        Assert.Contains(nameof(NotAnActor), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_factory_creates_registered_workflows_and_each_shared_activity_once()
    {
        var factory = new EmbeddedWorkflowsFactory([
            new WorkflowRegistration(typeof(GreetingWorkflow), [typeof(UppercaseActivity), typeof(RepeatActivity)]),
            new WorkflowRegistration(typeof(FailingWorkflow), [typeof(UppercaseActivity), typeof(ExplodingActivity)]),
        ]);

        Assert.Equal([nameof(FailingWorkflow), nameof(GreetingWorkflow)], factory.WorkflowNames.Order(StringComparer.Ordinal));
        Assert.Equal([nameof(ExplodingActivity), nameof(RepeatActivity), nameof(UppercaseActivity)], factory.ActivityNames.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_embedded_factory_refuses_a_class_that_is_not_a_workflow()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new EmbeddedWorkflowsFactory([new WorkflowRegistration(typeof(NotAnActor), [])]));

        Assert.Contains(nameof(NotAnActor), ex.Message, StringComparison.Ordinal);
    }

    public interface ICounterActor : IActor
    {
        Task<int> NextAsync();
    }

    public sealed class CounterActor(ActorHost host) : Actor(host), ICounterActor
    {
        public Task<int> NextAsync() => Task.FromResult(1);
    }

    public sealed class NotAnActor;
}
