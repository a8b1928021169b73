using System.Collections.Concurrent;
using System.Globalization;
using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Tests.ServiceInvocation;

/// <summary>A small test app served by service invocation: its operations and the records they exchange.</summary>
public static class CalculatorApp
{
    public const string AppId = "calculator";

    public sealed record SumRequest(string Label, IReadOnlyList<int> Numbers);

    public sealed record SumResponse(string Label, int Total, int Count);

    public sealed record OrderLineView(string OrderId, int Line, string? Currency, int Limit);

    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Post<SumRequest, SumResponse>(AppId, "v1/sums", (request, call) =>
        {
            call.GetService<CallLedger>().Record($"POST v1/sums {request.Label}");
            if (request.Numbers.Count == 0)
            {
                throw ProblemException.Invalid("numbers", "must hold at least one number.");
            }

            return Task.FromResult(new SumResponse(request.Label, request.Numbers.Sum(), request.Numbers.Count));
        }, successStatus: 201),
        ServiceOperation.Get(AppId, "v1/orders/{orderId}/lines/{line}", call =>
        {
            call.GetService<CallLedger>().Record($"GET v1/orders/{call.Route("orderId")}");
            return Task.FromResult(new OrderLineView(
                call.Route("orderId"),
                int.Parse(call.Route("line"), CultureInfo.InvariantCulture),
                call.QueryValue("currency"),
                call.QueryInt("limit", 10, 1, 100)));
        }),
    ];
}

/// <summary>Which handler calls the app received.</summary>
public sealed class CallLedger
{
    private readonly ConcurrentQueue<string> _calls = new();

    public void Record(string call) => _calls.Enqueue(call);

    public int Count(string call) => _calls.Count(c => c == call);
}
