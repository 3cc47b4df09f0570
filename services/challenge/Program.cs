using Disputes.Challenge.Extensions;
using Disputes.EventBus.Hosting;
using Disputes.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddDisputesService();
builder.AddChallengeServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapEventBusEndpoints();
app.MapChallengeApi();

app.Run();
