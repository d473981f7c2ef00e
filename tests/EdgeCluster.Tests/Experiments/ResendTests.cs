using EdgeCluster.Cli.Experiments;

namespace EdgeCluster.Tests.Experiments;

/// <summary>The experiment's client sends an eventual reading again after an answer that left it open, as a board does; a strong write once.</summary>
public sealed class ResendTests
{
    private static Func<Task<(Outcome, int, string?)>> Answers(List<(Outcome, int, string?)> answers, List<int> sent) => () =>
    {
        sent.Add(sent.Count);
        var next = answers[0];
        answers.RemoveAt(0);
        return Task.FromResult(next);
    };

    private static readonly (Outcome, int, string?) Open = (Outcome.Info, 503, "may still be stored: retry with the same seq");

    [Fact]
    public async Task An_open_answer_is_sent_again_until_one_settles_it()
    {
        var sent = new List<int>();
        var result = await ExperimentRun.SendAsBoardAsync(true, Answers([Open, Open, (Outcome.Ok, 200, null)], sent), 5, TimeSpan.Zero);
        Assert.Equal((Outcome.Ok, 200, (string?)null, 2), result);
        Assert.Equal(3, sent.Count);
    }

    [Fact]
    public async Task A_refusal_ends_it_at_once_and_resends_stop_at_the_limit()
    {
        var sent = new List<int>();
        Assert.Equal((Outcome.Fail, 503, "nothing was stored", 0),
            await ExperimentRun.SendAsBoardAsync(true, Answers([(Outcome.Fail, 503, "nothing was stored"), Open], sent), 5, TimeSpan.Zero));
        Assert.Single(sent);

        sent.Clear();
        var result = await ExperimentRun.SendAsBoardAsync(true, Answers(Enumerable.Repeat(Open, 10).ToList(), sent), 3, TimeSpan.Zero);
        Assert.Equal((Outcome.Info, 503, Open.Item3, 3), result);
        Assert.Equal(4, sent.Count);
    }

    [Fact]
    public async Task A_write_that_must_not_be_resent_is_sent_once()
    {
        var sent = new List<int>();
        Assert.Equal((Outcome.Info, 503, Open.Item3, 0), await ExperimentRun.SendAsBoardAsync(false, Answers([Open, (Outcome.Ok, 200, null)], sent), 5, TimeSpan.Zero));
        Assert.Single(sent);
    }
}
