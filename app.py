"""Entry point: `streamlit run app.py`."""
import streamlit as st

st.set_page_config(page_title="Error-surface visualizer", layout="wide")
st.title("Error-surface visualizer")
st.write("How neural-network optimizers move on a loss surface.")
