namespace Maximus.Memory.Hybrid;

/// <summary>How lexical and dense ranks are combined.</summary>
public enum FusionMethod
{
    /// <summary>Reciprocal rank fusion: Σ weight / (k + rank).</summary>
    ReciprocalRank,

    /// <summary>Each list's scores scaled to [0, 1] by its best and worst candidate, then a weighted sum.</summary>
    NormalisedScore,
}

/// <summary>
/// Knobs of hybrid retrieval (section <c>Maximus:Memory:Hybrid</c>). Defaults were chosen on the LoCoMo development
/// file with the <c>locomo</c> benchmark and are the same for every agent and conversation.
/// </summary>
public sealed class HybridRetrievalOptions
{
    public const string Section = "Maximus:Memory:Hybrid";

    /// <summary>
    /// An episodic turn is indexed for keyword search together with the turn before it in its session (the question it
    /// answers, the remark it replies to); the turn stays the unit returned, and its vector is the turn's own.
    /// </summary>
    public bool KeywordContext { get; set; } = true;

    /// <summary>Candidates taken from the BM25 index.</summary>
    public int LexicalCandidates { get; set; } = 50;

    /// <summary>Candidates taken from the vector store.</summary>
    public int DenseCandidates { get; set; } = 100;

    public FusionMethod Fusion { get; set; } = FusionMethod.NormalisedScore;

    /// <summary>The k of reciprocal rank fusion (larger flattens the rank curve).</summary>
    public double RrfK { get; set; } = 60;

    /// <summary>Weight of the lexical list.</summary>
    public double LexicalWeight { get; set; } = 1.0;

    /// <summary>Weight of the dense list.</summary>
    public double DenseWeight { get; set; } = 0.6;

    /// <summary>Share of an adjacent turn's fused score (same session, sequence ± 1) added to a candidate; 0 turns it off.</summary>
    public double NeighbourWeight { get; set; } = 0.3;

    /// <summary>Adds turns next to the best candidates even when neither list found them.</summary>
    public bool ExpandNeighbours { get; set; } = true;

    /// <summary>How many of the best fused candidates lend their neighbours a place.</summary>
    public int NeighbourSeeds { get; set; } = 10;

    /// <summary>For "when" questions, a candidate whose text mentions a time gets this share more score; 0 turns it off.</summary>
    public double TemporalBoost { get; set; } = 1.5;

    /// <summary>Weight of the searches restricted to the question's time window (<see cref="TimeExpressions"/>); 0 turns them off.</summary>
    public double TimeWindowWeight { get; set; } = 1.5;

    /// <summary>Days before the window's start that still count (an entry's time is its session's date).</summary>
    public double TimeWindowSlackBeforeDays { get; set; } = 1;

    /// <summary>Days after the window's end that still count (people tell of an event in a later session).</summary>
    public double TimeWindowSlackAfterDays { get; set; } = 7;

    /// <summary>Candidates of each list of the time-window searches.</summary>
    public int WindowCandidates { get; set; } = 30;

    /// <summary>
    /// Weight of the second hop (entries sharing an entity with the best first-hop ones); 0 turns it off. Off by default: on
    /// the development file it cost recall at every weight tried (0.15 and 0.3, with 3 and 5 seeds).
    /// </summary>
    public double EntityHopWeight { get; set; }

    /// <summary>How many of the best first-hop candidates lend their entities to the second hop.</summary>
    public int EntitySeeds { get; set; } = 5;

    /// <summary>An entity in more than this share of the first-hop candidates is too common to hop on.</summary>
    public double CommonEntityShare { get; set; } = 0.2;

    /// <summary>At most this many entities in the second hop's filter.</summary>
    public int MaxHopEntities { get; set; } = 12;

    /// <summary>Candidates of each list of the entity searches.</summary>
    public int EntityHopCandidates { get; set; } = 30;

    /// <summary>Share of its session's score an entry gains (the session's best <see cref="SessionTop"/> candidates, scaled by the best session); 0 turns it off.</summary>
    public double SessionWeight { get; set; } = 0.3;

    /// <summary>How many of a session's best candidates make its score.</summary>
    public int SessionTop { get; set; } = 2;

    /// <summary>
    /// Factor on the score of a turn whose last sentence is a question: it asks rather than tells (on the development file a
    /// tenth of such turns is evidence against a fifth of the others, yet they made a third of the top ten); 1 turns it off.
    /// </summary>
    public double AskingTurnWeight { get; set; } = 0.6;

    /// <summary>
    /// Share of a question turn's fused score that the turn after it (the answer) gains, on top of <see cref="NeighbourWeight"/>;
    /// 0 turns it off.
    /// </summary>
    public double AnswerShare { get; set; } = 0.3;

    /// <summary>
    /// Length prior: a turn's score is multiplied by (words / <see cref="LengthPriorWords"/>) to this power (words counted in its
    /// own text, held to 3–80), as longer turns tell more (on the development file the share of turns that are evidence rises
    /// from ~0.12 at 8–15 words to ~0.5 past 40); 0 turns it off.
    /// </summary>
    public double LengthPrior { get; set; } = 0.3;

    /// <summary>The length at which the length prior is 1.</summary>
    public double LengthPriorWords { get; set; } = 20;

    /// <summary>
    /// Share more score for a turn whose speaker (its entry's actor) the question names (on the development file 82 % of the
    /// evidence of questions naming one speaker was that speaker's, against 59 % of the top ten); 0 turns it off. 0.3 since
    /// the question is embedded in the speaker's voice (<see cref="FirstPersonQuery"/>; 0.2–0.4 alike there, R@25
    /// 0.8966–0.9023; 0.2 before).
    /// </summary>
    public double NamedSpeakerBoost { get; set; } = 0.3;

    /// <summary>
    /// Whether a question about the one speaker it names (among the keyword hits' speakers) is embedded in that speaker's voice,
    /// their name after it (<see cref="HybridRetriever.Voiced"/>: "What has Melanie painted?" as "What has I painted? Melanie";
    /// the keyword search keeps the question's words). On the development file, with <see cref="NamedSpeakerBoost"/> re-chosen
    /// beside it: R@5/10/25 0.7547/0.8429/0.8931 → 0.7689/0.8441/0.9004 at no cost in time (one embedding either way).
    /// Measured and not taken: the voice without the name (development 0.7694/0.8499/0.9093, but at 100k turns R@25 0.862
    /// against 0.881). The question as asked is searched beside it since both are embedded in one call
    /// (<see cref="AsAskedWeight"/>; in two calls it cost ~3 ms more).
    /// </summary>
    public bool FirstPersonQuery { get; set; } = true;

    /// <summary>
    /// When the question is put in a speaker's voice (<see cref="FirstPersonQuery"/>), the question as asked is embedded too,
    /// in the same call, and the dense hits of each add to the ranking: those of the question as asked with this share of
    /// <see cref="DenseWeight"/>; 0 embeds the voiced one only. The two find different turns (the voice a speaker's own, the
    /// name the turns that name them). Since turns are embedded in the third person (<see cref="HybridRetriever.InThirdPerson"/>),
    /// development R@5/10/25 0.7732/0.8471/0.9089 → 0.7740/0.8528/0.9132 (0.3/0.5/0.7/1.0: R@25 0.9104/0.9132/0.9128/0.9122;
    /// R@25 up for 12 questions, down for 3), query p50 4.2–4.3 → 5.2–5.7 ms and p99 7.6–9.9 → 11.0–11.6 ms on this machine
    /// (three alternating runs each; both embeddings in one call: a second call cost ~3 ms). Averaging the two vectors into
    /// one search found nothing more (R@25 0.9086–0.9106).
    /// </summary>
    public double AsAskedWeight { get; set; } = 0.5;
}
