using Maximus.Contracts.Ports;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Runtime.Tests.ServiceInvocation;

/// <summary>The invocation conformance suite on <see cref="EmbeddedServiceInvoker"/> (in-process dispatch).</summary>
public sealed class EmbeddedServiceInvokerConformanceTests : ServiceInvokerConformance, IDisposable
{
    private readonly ServiceProvider _services;

    public EmbeddedServiceInvokerConformanceTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<CallLedger>();
        services.AddServiceOperations(CalculatorApp.Operations);
        services.AddSingleton<EmbeddedServiceInvoker>();
        _services = services.BuildServiceProvider(validateScopes: true);
    }

    protected override IServiceInvoker Invoker => _services.GetRequiredService<EmbeddedServiceInvoker>();

    protected override CallLedger Ledger => _services.GetRequiredService<CallLedger>();

    [Fact]
    public void The_invoker_knows_the_apps_of_the_registered_operations()
    {
        Assert.Equal([CalculatorApp.AppId], _services.GetRequiredService<EmbeddedServiceInvoker>().AppIds);
    }

    public void Dispose() => _services.Dispose();
}
