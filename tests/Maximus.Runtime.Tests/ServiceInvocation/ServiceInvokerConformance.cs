using Maximus.Contracts.Ports;
using static Maximus.Runtime.Tests.ServiceInvocation.CalculatorApp;

namespace Maximus.Runtime.Tests.ServiceInvocation;

/// <summary>
/// What every adapter of <see cref="IServiceInvoker"/> must do (CONVENTIONS 15), against the operations of
/// <see cref="CalculatorApp"/>: typed answers, route values and query, errors as <see cref="InvocationException"/>.
/// </summary>
public abstract class ServiceInvokerConformance
{
    protected abstract IServiceInvoker Invoker { get; }

    protected abstract CallLedger Ledger { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Post_with_a_body_reaches_the_handler_and_returns_its_typed_answer()
    {
        var label = $"sum-{Guid.NewGuid():N}";

        var answer = await Invoker.InvokeAsync<SumRequest, SumResponse>(AppId, "v1/sums", new SumRequest(label, [2, 3, 37]), Ct);

        Assert.Equal(new SumResponse(label, 42, 3), answer);
        Assert.Equal(1, Ledger.Count($"POST v1/sums {label}"));
    }

    [Fact]
    public async Task Get_passes_route_values_and_query_to_the_handler()
    {
        var orderId = $"order {Guid.NewGuid():N}";

        var line = await Invoker.GetAsync<OrderLineView>(
            AppId, $"v1/orders/{Uri.EscapeDataString(orderId)}/lines/3?currency=EUR&limit=5", Ct);

        Assert.Equal(new OrderLineView(orderId, 3, "EUR", 5), line);
        Assert.Equal(1, Ledger.Count($"GET v1/orders/{orderId}"));
    }

    [Fact]
    public async Task Get_without_query_leaves_the_handler_its_defaults()
    {
        var line = await Invoker.GetAsync<OrderLineView>(AppId, "v1/orders/o-7/lines/1", Ct);

        Assert.Equal(new OrderLineView("o-7", 1, null, 10), line);
    }

    [Fact]
    public async Task A_problem_in_the_handler_surfaces_as_InvocationException_with_its_status()
    {
        var ex = await Assert.ThrowsAsync<InvocationException>(() =>
            Invoker.InvokeAsync<SumRequest, SumResponse>(AppId, "v1/sums", new SumRequest("empty", []), Ct));

        Assert.Equal(400, ex.Status);
        Assert.Equal(AppId, ex.AppId);
        Assert.Equal("v1/sums", ex.Method);
        Assert.Contains("numbers", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_query_value_surfaces_as_InvocationException_400()
    {
        var ex = await Assert.ThrowsAsync<InvocationException>(() =>
            Invoker.GetAsync<OrderLineView>(AppId, "v1/orders/o-7/lines/1?limit=1000", Ct));

        Assert.Equal(400, ex.Status);
        Assert.Contains("limit", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_method_gives_404()
    {
        var ex = await Assert.ThrowsAsync<InvocationException>(() =>
            Invoker.GetAsync<OrderLineView>(AppId, "v1/nothing-here", Ct));

        Assert.Equal(404, ex.Status);
        Assert.Equal(AppId, ex.AppId);
    }

    [Fact]
    public async Task A_known_route_with_the_wrong_verb_gives_an_error_status()
    {
        var ex = await Assert.ThrowsAsync<InvocationException>(() =>
            Invoker.GetAsync<SumResponse>(AppId, "v1/sums", Ct));

        Assert.InRange(ex.Status, 404, 405);
    }

    [Fact]
    public async Task An_unknown_app_fails_with_InvocationException()
    {
        var ex = await Assert.ThrowsAsync<InvocationException>(() =>
            Invoker.InvokeAsync<SumRequest, SumResponse>("no-such-app", "v1/sums", new SumRequest("lost", [1]), Ct));

        Assert.Equal("no-such-app", ex.AppId);
        Assert.True(ex.Status >= 500, $"status {ex.Status}");
    }
}
