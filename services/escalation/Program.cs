using Disputes.Escalation.Extensions;
using Disputes.EventBus.Hosting;
using Disputes.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddDisputesService();
builder.AddEscalationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapEventBusEndpoints();
app.MapEscalationApi();

app.Run();
