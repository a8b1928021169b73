namespace Maximus.Contracts;

/// <summary>Pub/sub topics. Every integration event is published to a topic named after its type.</summary>
public static class Topics
{
    public static string For<TEvent>() => For(typeof(TEvent));

    public static string For(Type eventType) => eventType.Name;

    public const string DeadLetter = "maximus-deadletter";
}
