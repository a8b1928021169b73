namespace Maximus.Edge;

/// <summary>
/// What the edge node can do by itself for one kind of request (for example the symbolic planner for small
/// problems, or a local memory replica for recent memories).
/// </summary>
/// <typeparam name="TRequest">The request, as the cloud app's method takes it.</typeparam>
/// <typeparam name="TResponse">The response, as the cloud app's method returns it.</typeparam>
public interface IEdgeCapability<in TRequest, TResponse>
{
    /// <summary>
    /// How long the local capability expects to take for <paramref name="request"/>, or null when it cannot answer
    /// it at all. Must be cheap (no I/O): the router calls it for every request.
    /// </summary>
    TimeSpan? EstimateLatency(TRequest request);

    /// <summary>Answers the request on the edge node.</summary>
    Task<TResponse> HandleAsync(TRequest request, CancellationToken cancellationToken);
}
