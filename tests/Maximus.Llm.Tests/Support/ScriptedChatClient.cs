using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Tests.Support;

/// <summary>A chat client that answers scripted texts in order (the last repeats) and keeps what it was asked.</summary>
internal sealed class ScriptedChatClient(params Func<int, string>[] answers) : IChatClient
{
    private readonly List<(List<ChatMessage> Messages, ChatOptions? Options)> _calls = [];

    public ScriptedChatClient(params string[] answers)
        : this([.. answers.Select(a => (Func<int, string>)(_ => a))])
    {
    }

    public IReadOnlyList<(List<ChatMessage> Messages, ChatOptions? Options)> Calls => _calls;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        _calls.Add((messages.ToList(), options));
        var answer = answers[Math.Min(_calls.Count, answers.Length) - 1](_calls.Count);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}

/// <summary>A chat client that always fails with the given exception.</summary>
internal sealed class FailingChatClient(Exception exception) : IChatClient
{
    public int Calls { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        return Task.FromException<ChatResponse>(exception);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw exception;

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
