using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Memory.Hybrid;
using Maximus.Memory.Mirix;
using Maximus.Memory.Vectors.Embedded;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Tests;

public sealed class HybridRetrievalTests : IDisposable
{
    private const string Collection = "memories";
    private readonly string _directory = Directory.CreateTempSubdirectory("maximus-hybrid-").FullName;
    private readonly EmbeddedVectorStore _store;
    private readonly AgentMemory _memory;
    private readonly HybridRetriever _retriever;

    public HybridRetrievalTests()
    {
        _store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = _directory });
        var memoryOptions = Options.Create(new MemoryOptions());
        var embedder = new BagOfWordsEmbedder();
        _memory = new AgentMemory(_store, embedder, memoryOptions, TimeProvider.System);
        _retriever = new HybridRetriever(_memory, _store, embedder, memoryOptions, Options.Create(new HybridRetrievalOptions()));
    }

    private Task Ingest(string agent, params (string Id, string Text)[] turns) =>
        _retriever.IngestAsync(agent, [.. turns.Select((t, i) => new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, t.Text, t.Id), "1", i + 1))], CancellationToken.None);

    private async Task<string[]> Keyword(string agent, string query) =>
        [.. (await _store.SearchTextAsync(Collection, new VectorTextSearchRequest(query, 10, VectorFilter.ForAgent(agent)), CancellationToken.None))
            .Select(h => h.Payload![AgentMemory.EntryKey]!["id"]!.GetValue<string>())];

    [Theory]
    [InlineData(FusionMethod.ReciprocalRank)]
    [InlineData(FusionMethod.NormalisedScore)]
    public void Fusion_ranks_an_entry_found_by_both_lists_first(FusionMethod method)
    {
        var options = new HybridRetrievalOptions { Fusion = method, LexicalWeight = 1, DenseWeight = 1 };
        var fused = HybridRetriever.Fuse(
            [("both", 9.0), ("lexical-only", 8.0), ("tail", 1.0)],
            [("dense-only", 0.9), ("both", 0.8), ("tail2", 0.1)],
            options);
        var order = fused.OrderByDescending(p => p.Value).Select(p => p.Key).ToList();
        Assert.Equal("both", order[0]);
        Assert.Equal(5, order.Count);
        Assert.True(fused["lexical-only"] > fused["tail"]);
        Assert.True(fused["dense-only"] > fused["tail2"]);
    }

    [Fact]
    public void Fusion_weights_shift_the_order_between_lists()
    {
        var lexicalFirst = HybridRetriever.Fuse([("a", 2.0), ("x", 1.0)], [("b", 0.9), ("y", 0.1)], new HybridRetrievalOptions { LexicalWeight = 1, DenseWeight = 0.5 });
        var denseFirst = HybridRetriever.Fuse([("a", 2.0), ("x", 1.0)], [("b", 0.9), ("y", 0.1)], new HybridRetrievalOptions { LexicalWeight = 0.5, DenseWeight = 1 });
        Assert.True(lexicalFirst["a"] > lexicalFirst["b"]);
        Assert.True(denseFirst["b"] > denseFirst["a"]);
    }

    [Theory]
    [InlineData("\"unbalanced quote")]
    [InlineData("NEAR(piano guitar) AND NOT drums OR")]
    [InlineData("text: piano* ^guitar -drums (\"x\" + y)")]
    [InlineData("'; DROP TABLE vector_point; --")]
    [InlineData("Melanie's piano?")]
    public async Task User_text_with_quotes_and_operators_is_searched_as_plain_words(string query)
    {
        await Ingest("agent-a", ("t1", "Melanie: I play the piano and the guitar"));

        Assert.True((await Keyword("agent-a", query)).Length <= 1);
        Assert.True((await _retriever.SearchAsync("agent-a", query, 5, CancellationToken.None)).Count <= 1);
        Assert.Equal(["t1"], await Keyword("agent-a", "piano"));
    }

    [Fact]
    public async Task Text_without_words_matches_nothing()
    {
        await Ingest("agent-a", ("t1", "anything at all"));
        Assert.Empty(await Keyword("agent-a", "\"\" * ( ) ^ -"));
    }

    [Fact]
    public async Task Keyword_search_keeps_agents_apart()
    {
        await Ingest("agent-a", ("same-id", "secret launch codes for the rocket"));
        await Ingest("agent-b", ("same-id", "grocery list: apples and pears"));

        Assert.Single(await Keyword("agent-a", "rocket launch"));
        Assert.Empty(await Keyword("agent-b", "rocket launch"));
        Assert.Empty(await Keyword("agent-c", "rocket launch"));
        Assert.Empty(await _retriever.SearchAsync("agent-c", "rocket launch", 5, CancellationToken.None));

        Assert.True(await _memory.ForgetAsync("agent-b", "same-id", CancellationToken.None));
        Assert.Single(await Keyword("agent-a", "rocket"));
    }

    [Fact]
    public async Task Rewriting_an_entry_replaces_its_keyword_text()
    {
        await Ingest("agent-a", ("t1", "the old text about violins"));
        await Ingest("agent-a", ("t1", "the new text about trumpets"));
        Assert.Empty(await Keyword("agent-a", "violins"));
        Assert.Equal(["t1"], await Keyword("agent-a", "trumpets"));
    }

    [Fact]
    public async Task A_turn_keeps_its_place_in_the_payload_and_neighbours_are_found_by_it()
    {
        await Ingest("agent-a", ("t1", "Caroline: guess where I went"), ("t2", "Melanie: where?"), ("t3", "Caroline: the pottery studio downtown"));

        var hits = await _retriever.SearchAsync("agent-a", "pottery studio", 3, CancellationToken.None);

        Assert.Equal("t3", hits[0].Id);
        Assert.Equal(("1", 3), (hits[0].Session, hits[0].Sequence));
        Assert.Contains(hits, h => h.Id == "t2" && h.LexicalRank is null);
    }

    [Fact]
    public async Task Hybrid_search_fuses_lists_adds_neighbours_and_keeps_agents_apart()
    {
        var retriever = _retriever;
        string[] turns = ["Caroline: I went to a support group yesterday", "Melanie: Oh nice, tell me all about it", "Caroline: It was powerful, the stories moved me", "Melanie: I painted a lake last week"];
        await retriever.IngestAsync("agent-a", [.. turns.Select((t, i) => new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, t, $"D1_{i + 1}"), "1", i + 1))], CancellationToken.None);
        await retriever.IngestAsync("agent-b", [new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Bob: support group on Monday", "D1_1"), "1", 1)], CancellationToken.None);

        var hits = await retriever.SearchAsync("agent-a", "When did Caroline go to the support group?", 3, CancellationToken.None);
        Assert.Equal("D1_1", hits[0].Id);
        Assert.NotNull(hits[0].LexicalRank);
        Assert.Contains(hits, h => h.Id == "D1_2");

        var other = await retriever.SearchAsync("agent-b", "support group", 10, CancellationToken.None);
        Assert.Equal(new[] { "D1_1" }, other.Select(h => h.Id).ToArray());
        Assert.True(HybridRetriever.IsWhenQuestion("When did she paint?"));
        Assert.False(HybridRetriever.IsWhenQuestion("What did she paint?"));
    }

    [Fact]
    public async Task A_question_that_names_a_time_prefers_the_turn_of_that_time()
    {
        DateTimeOffset may = new(2023, 5, 8, 13, 0, 0, TimeSpan.Zero), august = new(2023, 8, 14, 13, 0, 0, TimeSpan.Zero);
        await _retriever.IngestAsync(
            "agent-t",
            [
                new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Melanie: we went camping by the lake with the kids", "aug", august), "2", 1),
                new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Melanie: we went camping in the forest with the kids", "may", may), "1", 1),
            ],
            CancellationToken.None);

        var stored = await _store.GetAsync(Collection, ["agent-t:may"], cancellationToken: CancellationToken.None);
        Assert.Equal(may.ToUnixTimeMilliseconds(), stored[0].Payload[AgentMemory.OccurredAtKey]!.GetValue<long>());
        Assert.Contains("melanie", stored[0].Payload[AgentMemory.EntitiesKey]!.AsArray().Select(e => e!.GetValue<string>()));

        var inMay = await _retriever.SearchAsync("agent-t", "Where did Melanie go camping in May?", 2, CancellationToken.None, asOf: august.AddDays(1));
        Assert.Equal("may", inMay[0].Id);
        var inAugust = await _retriever.SearchAsync("agent-t", "Where did Melanie go camping in August?", 2, CancellationToken.None, asOf: august.AddDays(1));
        Assert.Equal("aug", inAugust[0].Id);
    }

    [Fact]
    public async Task A_turn_is_found_by_the_words_of_the_turn_before_it_and_comes_back_as_itself()
    {
        await Ingest("agent-c", ("q", "Melanie: which instrument did you pick up?"), ("a", "Caroline: the cello, I practise daily"), ("x", "Melanie: lovely"));

        Assert.Equal(["a", "q"], (await Keyword("agent-c", "instrument")).Order().ToArray());
        Assert.DoesNotContain("x", await Keyword("agent-c", "instrument"));
        var stored = await _store.GetAsync(Collection, ["agent-c:a"], cancellationToken: CancellationToken.None);
        Assert.Equal("Melanie: which instrument did you pick up?", stored[0].Payload[AgentMemory.ContextKey]!.GetValue<string>());
        Assert.Equal("Caroline: the cello, I practise daily", (await _memory.GetAsync("agent-c", "a", CancellationToken.None))!.Text);
        Assert.DoesNotContain("cello", (await _memory.GetAsync("agent-c", "x", CancellationToken.None))!.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("lovely", await Keyword("agent-c", "cello"));
    }

    [Fact]
    public async Task A_turn_written_after_its_predecessor_takes_its_context_from_the_store()
    {
        await _retriever.IngestAsync("agent-d", [new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Melanie: which instrument did you pick up?", "q"), "7", 4)], CancellationToken.None);
        await _retriever.IngestAsync("agent-d", [new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Caroline: the cello", "a"), "7", 5)], CancellationToken.None);
        await _retriever.IngestAsync("agent-d", [new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Caroline: a new session", "b"), "8", 1)], CancellationToken.None);

        Assert.Equal(["a", "q"], (await Keyword("agent-d", "instrument")).Order().ToArray());
        var first = await _store.GetAsync(Collection, ["agent-d:b"], cancellationToken: CancellationToken.None);
        Assert.Null(first[0].Payload[AgentMemory.ContextKey]);
    }

    [Fact]
    public async Task Forgetting_a_turn_takes_its_words_out_of_the_next_turns_keyword_text()
    {
        await _retriever.IngestAsync(
            "agent-f",
            [
                new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Melanie: my locker code is walrus", "q"), "1", 1),
                new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Caroline: noted, I will keep it safe"), "1", 2),
            ],
            CancellationToken.None);
        var reply = Assert.Single(await Keyword("agent-f", "safe"));
        Assert.Equal(new[] { "q", reply }.Order(StringComparer.Ordinal), (await Keyword("agent-f", "walrus")).Order(StringComparer.Ordinal));
        Assert.Equal("q", (await _store.GetAsync(Collection, [$"agent-f:{reply}"], cancellationToken: CancellationToken.None))[0].Payload[AgentMemory.ContextFromKey]!.GetValue<string>());

        Assert.True(await _memory.ForgetAsync("agent-f", "q", CancellationToken.None));

        Assert.Empty(await Keyword("agent-f", "walrus"));
        Assert.Equal([reply], await Keyword("agent-f", "safe"));
        var stored = (await _store.GetAsync(Collection, [$"agent-f:{reply}"], withVectors: true, cancellationToken: CancellationToken.None))[0];
        Assert.Null(stored.Payload[AgentMemory.ContextKey]);
        Assert.Null(stored.Payload[AgentMemory.ContextFromKey]);
        Assert.DoesNotContain("walrus", stored.Payload.ToJsonString(), StringComparison.Ordinal);
        Assert.False(stored.Vector.IsEmpty);
        Assert.Equal(reply, (await _retriever.SearchAsync("agent-f", "keep it safe", 1, CancellationToken.None))[0].Id);
    }

    [Fact]
    public async Task Rewriting_a_turn_gives_the_next_turn_its_new_words_as_context()
    {
        await Ingest("agent-g", ("q", "Melanie: my locker code is walrus"), ("a", "Caroline: noted, I will keep it safe"));

        await _retriever.IngestAsync("agent-g", [new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Melanie: my locker code is heron", "q"), "1", 1)], CancellationToken.None);

        Assert.Empty(await Keyword("agent-g", "walrus"));
        Assert.Equal(["a", "q"], (await Keyword("agent-g", "heron")).Order(StringComparer.Ordinal).ToArray());
        var stored = await _store.GetAsync(Collection, ["agent-g:a"], cancellationToken: CancellationToken.None);
        Assert.Equal("Melanie: my locker code is heron", stored[0].Payload[AgentMemory.ContextKey]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_keyword_context_a_turn_is_found_by_its_own_words_only()
    {
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = Path.Combine(_directory, "plain") });
        var memoryOptions = Options.Create(new MemoryOptions());
        var embedder = new BagOfWordsEmbedder();
        var retriever = new HybridRetriever(
            new AgentMemory(store, embedder, memoryOptions, TimeProvider.System), store, embedder, memoryOptions, Options.Create(new HybridRetrievalOptions { KeywordContext = false }));
        await retriever.IngestAsync(
            "agent-e",
            [
                new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Melanie: which instrument did you pick up?", "q"), "1", 1),
                new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Caroline: the cello", "a"), "1", 2),
            ],
            CancellationToken.None);

        var hits = await store.SearchTextAsync(Collection, new VectorTextSearchRequest("instrument", 10, VectorFilter.ForAgent("agent-e")), CancellationToken.None);
        Assert.Equal(["q"], hits.Select(h => h.Payload![AgentMemory.EntryKey]!["id"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public void A_text_asks_when_its_last_sentence_is_a_question_and_its_words_are_counted()
    {
        Assert.True(HybridRetriever.EndsAsking("Melanie: how was it?"));
        Assert.True(HybridRetriever.EndsAsking("Melanie: look at this! Where was it taken? [shares a photo: a lake at dusk]  "));
        Assert.False(HybridRetriever.EndsAsking("Caroline: was it fun? It was."));
        Assert.False(HybridRetriever.EndsAsking("Caroline: we went [to the lake?]"));
        Assert.False(HybridRetriever.EndsAsking(""));
        Assert.Equal(5, HybridRetriever.WordCount("  Caroline: the cello,\tI  practise\n"));
        Assert.Equal(0, HybridRetriever.WordCount(" \t "));
    }

    [Theory]
    [InlineData("We went there yesterday.", true)]
    [InlineData("It was LAST Summer, I think", true)]
    [InlineData("last  summer (two spaces) is not a phrase", false)]
    [InlineData("this morning", true)]
    [InlineData("next weekend!", true)]
    [InlineData("the weekend was fun", false)]
    [InlineData("Back in 2019 we met", true)]
    [InlineData("Room 2019b and 20190 and 1899", false)]
    [InlineData("a few weeks_ago", false)]
    [InlineData("Mayday, maybe in MAY", true)]
    [InlineData("yearly checkups; weekly", false)]
    [InlineData("", false)]
    public void A_text_mentions_a_time_by_its_words(string text, bool expected) =>
        Assert.Equal(expected, HybridRetriever.MentionsTime(text));

    [Fact]
    public void Whether_a_text_mentions_a_time_is_what_the_word_boundary_expression_says()
    {
        // The scanner replaced this expression (it cost ~2 ms a "when" question over its candidates); it must agree with it
        // on texts made of time words, near misses, digits, punctuation, case and other scripts.
        var expression = new System.Text.RegularExpressions.Regex(
            @"\b(yesterday|today|tonight|tomorrow|ago|last (week|weekend|month|year|night|summer|winter|spring|fall|time)|next (week|weekend|month|year)|this (week|weekend|month|year|morning|summer)|recently|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december|(19|20)\d\d|weeks?|months?|years?)\b",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        string[] pieces =
        [
            "last", "next", "this", "week", "weekend", "weekends", "Month", "years", "yearly", "night", "Summer", "fall", "falls",
            "time", "morning", "ago", "agony", "today", "todays", "May", "maybe", "march", "marching", "Sunday", "2023", "1999",
            "2023s", "202", "19", "20x1", "١٩٩٩", "s", "_", "-", "'", "’", ".", "!", "?", " ", "  ", "\t", "é", "café", "naïve",
            "日本", "I", "we", "went", "\u200D", "a\u0301", "[", "]",
        ];
        var random = new Random(7);
        for (var n = 0; n < 20_000; n++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 9)).Select(_ => pieces[random.Next(pieces.Length)] + (random.Next(3) == 0 ? "" : " ")));
            Assert.True(expression.IsMatch(text) == HybridRetriever.MentionsTime(text), $"'{text}': the expression says {expression.IsMatch(text)}");
        }
    }

    [Fact]
    public async Task A_turn_that_asks_ranks_below_the_same_words_told()
    {
        // The same words (the bag-of-words embedder and the tokenizer ignore '?' and '.'), each turn alone in its session.
        (string, string)[] turns = [("ask", "Caroline: camping in the forest with the kids?"), ("tell", "Caroline: camping in the forest with the kids.")];
        var neutral = new HybridRetrievalOptions { AskingTurnWeight = 1, LengthPrior = 0 };

        Assert.Equal("ask", (await SearchWith(neutral, "forest camping", turns))[0]); // a tie: the smaller id first
        Assert.Equal("tell", (await SearchWith(new HybridRetrievalOptions { LengthPrior = 0 }, "forest camping", turns))[0]);
    }

    [Fact]
    public async Task The_turn_after_a_question_gains_a_share_of_its_score()
    {
        // "before" and "z-answer" hold the same words and are both neighbours of the question; only the answer follows it.
        (string, string)[] session = [("before", "Caroline: hello there"), ("question", "Melanie: what did you bake yesterday?"), ("z-answer", "Caroline: there hello")];
        var options = new HybridRetrievalOptions { KeywordContext = false, AskingTurnWeight = 1, LengthPrior = 0, SessionWeight = 0 };

        string[] Pair(IReadOnlyList<string> ranking) => [.. ranking.Where(id => id is "before" or "z-answer")];
        options.AnswerShare = 0;
        Assert.Equal(["before", "z-answer"], Pair(await SearchWith(options, "what did you bake", session, oneSession: true)));
        options.AnswerShare = 0.2;
        Assert.Equal(["z-answer", "before"], Pair(await SearchWith(options, "what did you bake", session, oneSession: true)));
    }

    [Fact]
    public async Task The_length_prior_lifts_a_turn_that_tells_more()
    {
        // Keyword list only (the test embedder's 32 hashed dimensions make its dense list noise at this size).
        string[] fillers = ["the weather is nice today", "my sister called me", "we ordered pizza for dinner", "work was busy", "the train was late again", "I bought new shoes"];
        (string, string)[] turns =
        [
            ("short", "Caroline: forest camping"),
            ("long", "Caroline: forest camping, we love forest camping, the kids swam in the lake and we sat by the fire"),
            ("weak", "Melanie: camping gear is pricey, the tents and the stoves and the lamps"),
            .. fillers.Select((f, i) => ($"filler-{i}", $"Melanie: {f}")),
        ];

        Assert.Equal("short", (await SearchWith(new HybridRetrievalOptions { LengthPrior = 0, DenseWeight = 0 }, "forest camping", turns))[0]);
        Assert.Equal("long", (await SearchWith(new HybridRetrievalOptions { DenseWeight = 0 }, "forest camping", turns))[0]);
    }

    [Fact]
    public async Task A_turn_of_the_speaker_the_question_names_ranks_above_the_same_words_said_by_another()
    {
        Assert.True(HybridRetriever.NamesSpeaker("What did Caroline's group do?", "Caroline"));
        Assert.True(HybridRetriever.NamesSpeaker("where did jon go?", "Jon Snow"));
        Assert.False(HybridRetriever.NamesSpeaker("What did Carol do?", "Caroline"));
        Assert.False(HybridRetriever.NamesSpeaker("Is it a dog?", "A"));

        // The same words, each turn alone in its session; only the speaker differs.
        (string, string, string?)[] turns = [("a-melanie", "camping in the forest with the kids", "Melanie"), ("b-caroline", "camping in the forest with the kids", "Caroline")];
        var neutral = new HybridRetrievalOptions { NamedSpeakerBoost = 0 };

        Assert.Equal("a-melanie", (await SearchWith(neutral, "Where did Caroline go camping?", turns))[0]); // a tie: the smaller id first
        Assert.Equal("b-caroline", (await SearchWith(new HybridRetrievalOptions(), "Where did Caroline go camping?", turns))[0]);
        Assert.Equal("a-melanie", (await SearchWith(new HybridRetrievalOptions(), "Where did Melanie go camping?", turns))[0]);
    }

    [Fact]
    public async Task A_turn_carries_what_ranking_reads_of_it_and_turns_written_without_it_rank_the_same()
    {
        (string Id, string Text, string Speaker)[] turns =
        [
            ("t1", "Melanie: we went camping in the forest last summer with the kids", "Melanie"),
            ("t2", "Caroline: how was the forest? did the kids like it?", "Caroline"),
            ("t3", "Melanie: they loved it, we roasted marshmallows by the lake", "Melanie"),
            ("t4", "Caroline: I painted the lake on Sunday", "Caroline"),
            ("t5", "Caroline: my group meets every week", "Caroline"),
        ];
        await _retriever.IngestAsync(
            "agent-o",
            [.. turns.Select((t, i) => new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, t.Text, t.Id, Actor: t.Speaker), "1", i + 1))],
            CancellationToken.None);
        var stored = (await _store.ScrollAsync(Collection, new VectorScrollRequest(100, VectorFilter.ForAgent("agent-o")) { WithVectors = true }, CancellationToken.None)).Records;
        var t4 = stored.Single(r => r.Id == "agent-o:t4").Payload;
        Assert.Equal("Caroline", t4[AgentMemory.ActorKey]!.GetValue<string>());
        Assert.Equal(7, t4[AgentMemory.WordsKey]!.GetValue<int>());
        Assert.False(t4[AgentMemory.AsksKey]!.GetValue<bool>());
        Assert.True(t4[AgentMemory.MentionsTimeKey]!.GetValue<bool>());
        Assert.True(stored.Single(r => r.Id == "agent-o:t2").Payload[AgentMemory.AsksKey]!.GetValue<bool>());

        string[] questions = ["When did Caroline paint the lake?", "Where did Melanie go camping?", "What does the group do every week?", "kids"];
        var asWritten = new List<HybridHit>();
        foreach (var question in questions)
        {
            asWritten.AddRange(await _retriever.SearchAsync("agent-o", question, 5, CancellationToken.None));
        }

        // The same points as written before payloads carried these keys: read whole, ranked alike.
        await _store.UpsertAsync(
            Collection,
            [.. stored.Select(r =>
            {
                var older = r.Payload.DeepClone().AsObject();
                foreach (var key in new[] { AgentMemory.ActorKey, AgentMemory.WordsKey, AgentMemory.AsksKey, AgentMemory.MentionsTimeKey })
                {
                    older.Remove(key);
                }

                return r with { Payload = older };
            })],
            CancellationToken.None);
        var asBefore = new List<HybridHit>();
        foreach (var question in questions)
        {
            asBefore.AddRange(await _retriever.SearchAsync("agent-o", question, 5, CancellationToken.None));
        }

        // Scores within float rounding: writing a point again normalises its stored vector again.
        Assert.Equal(20, asWritten.Count);
        Assert.Equal(asWritten.Select(h => h with { Score = 0 }), asBefore.Select(h => h with { Score = 0 }));
        Assert.All(asWritten.Zip(asBefore), p => Assert.Equal(p.First.Score, p.Second.Score, tolerance: 1e-6));
    }

    [Theory]
    [InlineData("What has Melanie painted?", "Melanie", "What has I painted?")]
    [InlineData("What did Caroline's friend give caroline?", "Caroline", "What did my friend give I?")]
    [InlineData("Where did Jon Snow go?", "Jon Snow", "Where did I I go?")]
    [InlineData("What did Caroline’s group do?", "Caroline", "What did my group do?")]
    [InlineData("Is Carol a Caroline-fan?", "Caroline", "Is Carol a I-fan?")]
    [InlineData("What did Melanie say to Caroline?", "Nate", "What did Melanie say to Caroline?")]
    public void A_question_is_put_in_the_named_speakers_voice(string query, string speaker, string expected)
    {
        Assert.Equal(expected, HybridRetriever.InFirstPerson(query, speaker));
        Assert.Equal($"{expected} {speaker}", HybridRetriever.Voiced(query, speaker));
    }

    [Fact]
    public async Task A_question_about_a_speaker_finds_what_they_say_of_themselves()
    {
        // Melanie names Caroline; Caroline says "I". Dense side only, no speaker boost: asked about Caroline by name, the
        // question is nearer Melanie's turn; in Caroline's voice (her name after it), nearer hers.
        (string, string, string?)[] turns = [("a-melanie", "Caroline took the class", "Melanie"), ("b-caroline", "I love this", "Caroline")];
        var denseOnly = new HybridRetrievalOptions { LexicalWeight = 0, NamedSpeakerBoost = 0, FirstPersonQuery = false };

        Assert.Equal("a-melanie", (await SearchWith(denseOnly, "What class does Caroline love?", turns))[0]);
        Assert.Equal("b-caroline", (await SearchWith(new HybridRetrievalOptions { LexicalWeight = 0, NamedSpeakerBoost = 0 }, "What class does Caroline love?", turns))[0]);

        // The question as asked is searched too (AsAskedWeight, a share of the dense weight): given more weight than the
        // voiced one, its nearest turn, Melanie's, comes first; with none, the voiced question's alone.
        Assert.Equal("a-melanie", (await SearchWith(new HybridRetrievalOptions { LexicalWeight = 0, NamedSpeakerBoost = 0, AsAskedWeight = 2 }, "What class does Caroline love?", turns))[0]);
        Assert.Equal("b-caroline", (await SearchWith(new HybridRetrievalOptions { LexicalWeight = 0, NamedSpeakerBoost = 0, AsAskedWeight = 0 }, "What class does Caroline love?", turns))[0]);
    }

    [Theory]
    [InlineData("I painted my lake", "Melanie", "Melanie painted Melanie's lake")]
    [InlineData("I'm glad, I’ve seen it and i'd go again", "Jon", "Jon is glad, Jon has seen it and Jon would go again")]
    [InlineData("Mine is blue; tell me, I'll show myself", "Ann Lee", "Ann Lee's is blue; tell Ann Lee, Ann Lee will show Ann Lee")]
    [InlineData("My friend Mimi meets me at Myrtle Beach", "Sam", "Sam's friend Mimi meets Sam at Myrtle Beach")]
    [InlineData("We said you could, and they did", "Sam", "We said you could, and they did")]
    public void A_turn_is_told_in_the_third_person(string said, string speaker, string expected) =>
        Assert.Equal(expected, HybridRetriever.InThirdPerson(said, speaker));

    [Fact]
    public void What_is_embedded_for_a_turn_is_what_its_speaker_said_in_the_third_person()
    {
        static string Embedded(string text, string? actor, MemoryType type = MemoryType.Episodic) =>
            AgentMemory.EmbeddingText(new WriteMemoryRequest(type, text, Actor: actor));

        Assert.Equal("Caroline: Caroline went to Caroline's class", Embedded("Caroline: I went to my class", "Caroline"));
        Assert.Equal("Jon Snow: Jon Snow is cold", Embedded("Jon Snow: I'm cold", "Jon Snow"));

        // Only a text written as the actor's words ("actor: ...") is rewritten, and only after the actor's name.
        Assert.Equal("I went to my class", Embedded("I went to my class", "Caroline"));
        Assert.Equal("Melanie: I went to my class", Embedded("Melanie: I went to my class", "Caroline"));
        Assert.Equal("Caroline: I went", Embedded("Caroline: I went", null));
        Assert.Equal("Caroline: I went", Embedded("Caroline: I went", "Caroline", MemoryType.Semantic));
        Assert.Equal("Caroline prefers tea. Caroline: I prefer tea", AgentMemory.EmbeddingText(new WriteMemoryRequest(
            MemoryType.Semantic, "Caroline: I prefer tea", Actor: "Caroline", Fact: new SemanticFact("Caroline", "prefers", "tea"))));
    }

    [Fact]
    public async Task A_question_naming_a_speaker_finds_their_own_words_in_the_first_person()
    {
        // Melanie names Caroline; Caroline says "I". Dense side only, no speaker boost and the question as asked: Caroline's
        // turn is embedded with her name for "I", so it is nearer the question than Melanie's turn about her.
        (string, string, string?)[] turns = [("a-melanie", "Melanie: Caroline took a class", "Melanie"), ("b-caroline", "Caroline: I really love pottery", "Caroline")];
        var asked = new HybridRetrievalOptions { LexicalWeight = 0, NamedSpeakerBoost = 0, FirstPersonQuery = false };

        Assert.Equal("b-caroline", (await SearchWith(asked, "What class does Caroline love?", turns))[0]);

        // Her words not written as said by her (no "Caroline:" before them) are embedded as they are: Melanie's turn is nearer.
        (string, string, string?)[] unsaid = [("a-melanie", "Melanie: Caroline took a class", "Melanie"), ("b-caroline", "I really love pottery", "Caroline")];
        Assert.Equal("a-melanie", (await SearchWith(asked, "What class does Caroline love?", unsaid))[0]);
    }

    /// <summary>Writes the turns (each in a session of its own, or all in one) to a new store and searches it with these options.</summary>
    private Task<List<string>> SearchWith(HybridRetrievalOptions options, string query, (string Id, string Text)[] turns, bool oneSession = false) =>
        SearchWith(options, query, [.. turns.Select(t => (t.Id, t.Text, (string?)null))], oneSession);

    /// <summary>Writes the turns (with their speakers) to a new store and searches it with these options.</summary>
    private async Task<List<string>> SearchWith(HybridRetrievalOptions options, string query, (string Id, string Text, string? Speaker)[] turns, bool oneSession = false)
    {
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = Path.Combine(_directory, Guid.NewGuid().ToString("N")) });
        var memoryOptions = Options.Create(new MemoryOptions());
        var embedder = new BagOfWordsEmbedder();
        var retriever = new HybridRetriever(new AgentMemory(store, embedder, memoryOptions, TimeProvider.System), store, embedder, memoryOptions, Options.Create(options));
        await retriever.IngestAsync(
            "agent-p",
            [.. turns.Select((t, i) => new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, t.Text, t.Id, Actor: t.Speaker), oneSession ? "1" : $"s{i}", oneSession ? i + 1 : 1))],
            CancellationToken.None);
        return [.. (await retriever.SearchAsync("agent-p", query, 10, CancellationToken.None)).Select(h => h.Id)];
    }

    public void Dispose()
    {
        _store.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private sealed class BagOfWordsEmbedder : IEmbeddingGenerator<string, Embedding<float>>
    {
        private const int Dimension = 32;

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Embed(v)))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        private static float[] Embed(string text)
        {
            var vector = new float[Dimension];
            vector[0] = 0.01f;
            foreach (var word in text.ToLowerInvariant().Split([' ', ',', '.', ':', '?'], StringSplitOptions.RemoveEmptyEntries))
            {
                var hash = 2166136261u;
                foreach (var c in word)
                {
                    hash = (hash ^ c) * 16777619u;
                }

                vector[(int)(hash % Dimension)] += 1;
            }

            return vector;
        }
    }
}
